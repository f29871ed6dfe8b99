import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import {
  createDynamoClient,
  ensureTable,
  startDynalite,
  type EmbeddedDynamo,
} from '../../api/adapters/dynamodb/index.js';
import { composeAws, type AwsStack } from '../../api/compose/aws.js';
import { parseConfig } from '../../api/config.js';
import { withContract } from '../support/contract.js';
import { silentLogger } from '../support/logger.js';
import { startSecretsManagerStub, type SecretsManagerStub } from '../support/secrets-manager-stub.js';
import { SnowflakeStub } from '../support/snowflake-stub.js';
import { ADMIN_KEY, startTestStack, type TestStack } from '../support/stack.js';

/**
 * PUT/GET/DELETE /v1/tenants/{t}/warehouse. AWS mode runs the real composition (composeAws): the catalog on
 * dynalite, keys through the real Secrets Manager client against its stub, logins through the real
 * snowflake-sdk against a stub playing two accounts. Local mode answers that bindings are AWS-only.
 */
interface Problem {
  status: number;
  code: string;
  step?: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

const keyPair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });

describe('in AWS mode', () => {
  const sharedKey = keyPair();
  const globexKey = keyPair();
  let dynamo: EmbeddedDynamo;
  let secrets: SecretsManagerStub;
  let snowflake: SnowflakeStub;
  let stack: AwsStack;
  let app: ReturnType<typeof createApp>;
  let globexArn = '';
  const keys: Record<string, string> = {};

  const call = (method: string, path: string, opts: { key?: string; body?: unknown } = {}) =>
    app.request(path, {
      method,
      headers: {
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

  const spec = (over: Record<string, unknown> = {}) => ({
    account: 'globex_acct',
    user: 'GLOBEX_TRIBUTARY',
    role: 'GLOBEX_LOADER',
    warehouse: 'GLOBEX_WH',
    database: 'GLOBEX',
    privateKeySecretArn: globexArn,
    storageIntegration: 'GLOBEX_LAKE',
    ...over,
  });
  const orders = {
    name: 'orders',
    schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  };

  beforeAll(async () => {
    dynamo = await startDynalite();
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    await ensureTable(client, 'tributary-test');
    client.destroy();
    secrets = await startSecretsManagerStub({ allowedPrefix: 'tributary/tenants/' });
    globexArn = secrets.put('tributary/tenants/globex', globexKey.privateKey);
    snowflake = await SnowflakeStub.start({
      accounts: { shared_acct: sharedKey.publicKey, globex_acct: globexKey.publicKey },
    });
    // The SDK's default credential chain reads these; neither stub checks signatures.
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const config = parseConfig({
      TRIBUTARY_MODE: 'aws',
      TRIBUTARY_ADMIN_KEY: ADMIN_KEY,
      AWS_REGION: 'us-east-1',
      TRIBUTARY_TABLE_NAME: 'tributary-test',
      TRIBUTARY_DYNAMODB_ENDPOINT: dynamo.endpoint,
      TRIBUTARY_FIREHOSE_STREAM: 'raw-stream',
      TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: 'quarantine-stream',
      TRIBUTARY_FIREHOSE_ENDPOINT: 'http://127.0.0.1:9',
      TRIBUTARY_SECRETS_MANAGER_ENDPOINT: secrets.endpoint,
      SNOWFLAKE_ACCOUNT: 'shared_acct',
      SNOWFLAKE_USER: 'TRIBUTARY',
      SNOWFLAKE_ROLE: 'TRIBUTARY',
      SNOWFLAKE_WAREHOUSE: 'TRIBUTARY_WH',
      SNOWFLAKE_DATABASE: 'TRIBUTARY',
      SNOWFLAKE_ACCESS_URL: snowflake.url,
      SNOWFLAKE_TENANT_ACCESS_URL: snowflake.url,
      SNOWFLAKE_PRIVATE_KEY: sharedKey.privateKey,
      TRIBUTARY_S3_BUCKET: 'tributary-lake',
      TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION: 'TRIBUTARY_LAKE',
      TRIBUTARY_LAKE_EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:tributary-lake-events',
    });
    stack = composeAws(config, silentLogger);
    app = withContract(createApp(stack.services));
    for (const name of ['acme', 'globex', 'initech']) {
      const res = await call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name } });
      expect(res.status).toBe(201);
      keys[name] = (await json<{ key: { secret: string } }>(res)).key.secret;
    }
  });
  afterAll(async () => {
    await stack?.services.warehouse.close();
    await snowflake?.close();
    await secrets?.close();
    await dynamo?.close();
  });

  it('shows an unbound tenant the shared account it uses, without any secret reference', async () => {
    const res = await call('GET', '/v1/tenants/acme/warehouse', { key: keys.acme });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tenant: 'acme',
      source: 'default',
      engine: 'snowflake',
      account: 'shared_acct',
      user: 'TRIBUTARY',
      role: 'TRIBUTARY',
      warehouse: 'TRIBUTARY_WH',
      database: 'TRIBUTARY',
      storageIntegration: 'TRIBUTARY_LAKE',
    });
  });

  it('binds a tenant after checking the key, the login and CURRENT_ACCOUNT(); only the ARN is kept', async () => {
    const res = await call('PUT', '/v1/tenants/globex/warehouse', { key: ADMIN_KEY, body: spec() });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      tenant: 'globex',
      source: 'tenant',
      engine: 'snowflake',
      account: 'globex_acct',
      privateKeySecretArn: globexArn,
      currentAccount: 'GLOBEX_ACCT',
    });
    expect(text).not.toContain('PRIVATE KEY');
    expect(secrets.calls.filter((c) => c.secretId === globexArn)).toHaveLength(1);
    expect(snowflake.statementsOf('globex_acct')).toEqual([
      expect.stringMatching(/^SELECT CURRENT_ACCOUNT\(\)/),
    ]);
    expect(snowflake.openSessions).toBe(0);
    const stored = await stack.services.catalog.getWarehouseBinding('globex');
    expect(stored?.privateKeySecretArn).toBe(globexArn);
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');
  });

  it('lets the platform admin and the tenant’s admin read the binding, and nobody else', async () => {
    const byAdmin = await json(await call('GET', '/v1/tenants/globex/warehouse', { key: keys.globex }));
    const byPlatform = await json(await call('GET', '/v1/tenants/globex/warehouse', { key: ADMIN_KEY }));
    expect(byAdmin).toEqual(byPlatform);
    expect(byAdmin).toMatchObject({ source: 'tenant', database: 'GLOBEX' });
    expect((await call('GET', '/v1/tenants/globex/warehouse', { key: keys.acme })).status).toBe(404);
    expect(
      (await call('PUT', '/v1/tenants/globex/warehouse', { key: keys.globex, body: spec() })).status,
    ).toBe(403);
    expect((await call('GET', '/v1/tenants/nobody/warehouse', { key: ADMIN_KEY })).status).toBe(404);
    expect((await call('PUT', '/v1/tenants/nobody/warehouse', { key: ADMIN_KEY, body: spec() })).status).toBe(
      404,
    );
  });

  it('creates each tenant’s stream in its own account', async () => {
    snowflake.reset();
    for (const tenant of ['acme', 'globex'])
      expect(
        (await call('POST', `/v1/tenants/${tenant}/streams`, { key: keys[tenant], body: orders })).status,
      ).toBe(201);
    const shared = snowflake.statementsOf('shared_acct').join('\n');
    const own = snowflake.statementsOf('globex_acct').join('\n');
    expect(shared).toContain('CREATE TABLE IF NOT EXISTS "TRIBUTARY"."ACME"."ORDERS_RAW"');
    expect(shared).not.toContain('GLOBEX');
    expect(own).toContain('CREATE TABLE IF NOT EXISTS "GLOBEX"."GLOBEX"."ORDERS_RAW"');
    expect(own).toContain('STORAGE_INTEGRATION = "GLOBEX_LAKE"');
    expect(own).toContain("AWS_SNS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tributary-lake-events'");
    expect(own).not.toContain('ACME');
  });

  it('with streams, lets the key, user, role and warehouse change but not where the objects are', async () => {
    const role = await call('PUT', '/v1/tenants/globex/warehouse', {
      key: ADMIN_KEY,
      body: spec({ role: 'GLOBEX_LOADER_V2' }),
    });
    expect(role.status).toBe(200);
    for (const change of [
      { database: 'GLOBEX2' },
      { account: 'globex_eu' },
      { storageIntegration: 'OTHER' },
    ]) {
      const res = await call('PUT', '/v1/tenants/globex/warehouse', { key: ADMIN_KEY, body: spec(change) });
      expect(res.status).toBe(409);
      const body = await json<Problem>(res);
      expect(body.code).toBe('tenant_has_streams');
      expect(body.detail).toContain(Object.keys(change)[0]);
    }
    const unbind = await call('DELETE', '/v1/tenants/globex/warehouse', { key: ADMIN_KEY });
    expect(unbind.status).toBe(409);
    // acme's streams are in the shared account: binding it elsewhere would strand them.
    expect((await call('PUT', '/v1/tenants/acme/warehouse', { key: ADMIN_KEY, body: spec() })).status).toBe(
      409,
    );
  });

  it('answers 422 naming the step that failed, and stores nothing', async () => {
    const put = async (body: unknown) => {
      const res = await call('PUT', '/v1/tenants/initech/warehouse', { key: ADMIN_KEY, body });
      return { status: res.status, body: await json<Problem>(res) };
    };
    const missing = await put(spec({ privateKeySecretArn: `${globexArn.slice(0, -6)}zzzzzz` }));
    expect(missing).toMatchObject({ status: 422, body: { code: 'warehouse_check_failed', step: 'secret' } });
    const wrongKey = await put(
      spec({ privateKeySecretArn: secrets.put('tributary/tenants/initech', sharedKey.privateKey) }),
    );
    expect(wrongKey).toMatchObject({ status: 422, body: { step: 'connect' } });
    expect(wrongKey.body.detail).toMatch(/JWT token is invalid/);
    snowflake.on(
      'CURRENT_ACCOUNT()',
      {
        columns: ['ACCOUNT', 'ROLE', 'DATABASE', 'WAREHOUSE'].map((name) => ({
          name,
          type: 'text' as const,
        })),
        rows: [['GLOBEX_ACCT', 'GLOBEX_LOADER', null, 'GLOBEX_WH']],
      },
      1,
    );
    const noDatabase = await put(spec());
    expect(noDatabase).toMatchObject({ status: 422, body: { step: 'query' } });
    expect(noDatabase.body.detail).toMatch(/database 'GLOBEX'/);
    expect(await stack.services.catalog.getWarehouseBinding('initech')).toBeUndefined();
  });

  it('answers 503 with Retry-After when Secrets Manager itself is down', async () => {
    secrets.fail({ kind: 'http500' }, 10);
    try {
      const res = await call('PUT', '/v1/tenants/initech/warehouse', { key: ADMIN_KEY, body: spec() });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
    } finally {
      secrets.clearFaults();
    }
  });

  it('refuses bad input with 400 naming each field, before reading any secret', async () => {
    const before = secrets.calls.length;
    const res = await call('PUT', '/v1/tenants/initech/warehouse', {
      key: ADMIN_KEY,
      body: {
        ...spec(),
        account: 'acme.snowflakecomputing.com/../x',
        role: 'LOADER"; DROP ROLE X; --',
        privateKeySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db',
        extra: true,
      },
    });
    expect(res.status).toBe(400);
    const paths = (await json<Problem>(res)).errors?.map((e) => e.path).sort();
    expect(paths).toEqual(['body', 'body.account', 'body.privateKeySecretArn', 'body.role']);
    expect(secrets.calls.length).toBe(before);
  });

  it('moves a tenant without streams back to the shared account; unbinding again succeeds', async () => {
    expect(
      (await call('PUT', '/v1/tenants/initech/warehouse', { key: ADMIN_KEY, body: spec() })).status,
    ).toBe(200);
    expect((await call('DELETE', '/v1/tenants/initech/warehouse', { key: ADMIN_KEY })).status).toBe(204);
    expect((await call('DELETE', '/v1/tenants/initech/warehouse', { key: ADMIN_KEY })).status).toBe(204);
    const res = await json(await call('GET', '/v1/tenants/initech/warehouse', { key: keys.initech }));
    expect(res).toMatchObject({ source: 'default', account: 'shared_acct' });
  });
});

describe('in local mode', () => {
  let t: TestStack;
  let admin = '';
  beforeAll(async () => {
    t = await startTestStack();
    const res = await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 'acme' } });
    admin = ((await res.json()) as { key: { secret: string } }).key.secret;
  });
  afterAll(async () => t?.close());

  const body = {
    account: 'acme-prod',
    user: 'TRIBUTARY',
    role: 'LOADER',
    warehouse: 'WH',
    database: 'ACME',
    privateKeySecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tributary/tenants/acme-AbCdEf',
    storageIntegration: 'LAKE',
  };

  it('says each tenant already has its own DuckDB file, and refuses bindings with 409', async () => {
    const got = await t.call('GET', '/v1/tenants/acme/warehouse', { key: admin });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({ tenant: 'acme', source: 'default', engine: 'duckdb' });
    for (const [method, payload] of [
      ['PUT', body],
      ['DELETE', undefined],
    ] as const) {
      const res = await t.call(method, '/v1/tenants/acme/warehouse', { key: ADMIN_KEY, body: payload });
      expect(res.status).toBe(409);
      const problem = (await res.json()) as Problem;
      expect(problem.code).toBe('warehouse_bindings_unsupported');
      expect(problem.detail).toMatch(/DuckDB/);
    }
  });
});
