import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  SnowflakeBindingProbe,
  SnowflakeWarehouse,
  bindingTarget,
  connectSnowflake,
  createStreamSql,
} from '../../../api/adapters/snowflake/index.js';
import type { SnowflakeSqlConfig } from '../../../api/adapters/snowflake/index.js';
import {
  SecretsManagerReader,
  createSecretsManagerClient,
} from '../../../api/adapters/secrets/secrets-manager.js';
import {
  DependencyUnavailableError,
  InvalidInputError,
  WarehouseCheckError,
} from '../../../api/domain/errors.js';
import type { WarehouseBinding } from '../../../api/domain/tenants/warehouse-binding.js';
import { silentLogger } from '../../support/logger.js';
import { startSecretsManagerStub, type SecretsManagerStub } from '../../support/secrets-manager-stub.js';
import { SnowflakeStub } from '../../support/snowflake-stub.js';
import { config, evolved, expectGolden, ordersStream, plainStream } from './fixtures.js';

/**
 * Two tenants in two accounts, through the real snowflake-sdk and Secrets Manager client: acme in the
 * shared account, globex bound to its own. One stub plays both accounts and accepts each login only with
 * that account's own key, so a statement on the wrong session could not go unnoticed.
 */
const keyPair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
const sharedKey = keyPair();
const globexKey = keyPair();

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:tributary-lake-events';
const shared: SnowflakeSqlConfig = { ...config, lakeEventsTopicArn: TOPIC };

let snowflake: SnowflakeStub;
let secrets: SecretsManagerStub;
let client: ReturnType<typeof createSecretsManagerClient>;
let reader: SecretsManagerReader;
let globexArn = '';
let warehouse: SnowflakeWarehouse | undefined;

const bindings = new Map<string, WarehouseBinding>();

beforeAll(async () => {
  snowflake = await SnowflakeStub.start({
    accounts: { shared_acct: sharedKey.publicKey, globex_acct: globexKey.publicKey },
  });
  secrets = await startSecretsManagerStub({ allowedPrefix: 'tributary/tenants/' });
  client = createSecretsManagerClient({
    region: 'us-east-1',
    endpoint: secrets.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  reader = new SecretsManagerReader(client);
  globexArn = secrets.put('tributary/tenants/globex', JSON.stringify({ privateKey: globexKey.privateKey }));
});
afterAll(async () => {
  client.destroy();
  await snowflake.close();
  await secrets.close();
});
afterEach(async () => {
  await warehouse?.close();
  warehouse = undefined;
  snowflake.reset();
  bindings.clear();
});

const globexBinding = (over: Partial<WarehouseBinding> = {}): WarehouseBinding => ({
  tenant: 'globex',
  account: 'globex_acct',
  user: 'GLOBEX_TRIBUTARY',
  role: 'GLOBEX_LOADER',
  warehouse: 'GLOBEX_WH',
  database: 'GLOBEX',
  privateKeySecretArn: globexArn,
  storageIntegration: 'GLOBEX_LAKE',
  currentAccount: 'GLOBEX_ACCT',
  boundAt: '2026-03-01T00:00:00.000Z',
  ...over,
});

function open(): SnowflakeWarehouse {
  warehouse = new SnowflakeWarehouse({
    config: shared,
    logger: silentLogger,
    connect: () =>
      connectSnowflake({
        account: 'shared_acct',
        username: 'TRIBUTARY',
        privateKey: sharedKey.privateKey,
        accessUrl: snowflake.url,
        role: 'TRIBUTARY',
      }),
    targetOf: async (tenant) => {
      const b = bindings.get(tenant);
      return b ? bindingTarget(b, shared, { secrets: reader, tenantAccessUrl: snowflake.url }) : undefined;
    },
  });
  return warehouse;
}

describe('a tenant in its own account', () => {
  it('creates each tenant’s objects on its own account’s session: its database, warehouse and integration', async () => {
    bindings.set('globex', globexBinding());
    const w = open();
    await w.createStream(ordersStream());
    await w.createStream(ordersStream({ tenant: 'globex' }));

    const sharedSql = snowflake.statementsOf('shared_acct');
    const globexSql = snowflake.statementsOf('globex_acct');
    expect(sharedSql).toEqual(createStreamSql(ordersStream(), shared));
    await expectGolden('two-accounts-shared', sharedSql);
    await expectGolden('two-accounts-tenant', globexSql);
    expect(sharedSql.join('\n')).not.toMatch(/GLOBEX/);
    expect(globexSql.join('\n')).not.toMatch(/ACME|"TRIBUTARY"\./);
    expect(globexSql).toContain('CREATE SCHEMA IF NOT EXISTS "GLOBEX"."GLOBEX"');
    expect(globexSql.join('\n')).toContain('STORAGE_INTEGRATION = "GLOBEX_LAKE"');
    expect(globexSql.join('\n')).toContain('WAREHOUSE = "GLOBEX_WH"');
    // Both accounts' pipes hear the lake through the topic; each loads only its own tenant's prefix.
    expect(sharedSql.filter((q) => q.includes(`AWS_SNS_TOPIC = '${TOPIC}'`))).toHaveLength(2);
    expect(globexSql.filter((q) => q.includes(`AWS_SNS_TOPIC = '${TOPIC}'`))).toHaveLength(2);
    expect(globexSql.join('\n')).toContain('/raw/tenant=globex/stream=orders/');
    expect(globexSql.join('\n')).toContain(
      'CREATE DYNAMIC TABLE IF NOT EXISTS "GLOBEX"."GLOBEX"."ORDERS_ENTITY"',
    );
    expect(globexSql.join('\n')).toContain(
      'CREATE MASKING POLICY IF NOT EXISTS "GLOBEX"."GLOBEX"."_PII_MASK_VARCHAR"',
    );

    expect(snowflake.logins).toEqual([
      { account: 'shared_acct', user: 'TRIBUTARY', authenticator: 'SNOWFLAKE_JWT', verified: true },
      { account: 'globex_acct', user: 'GLOBEX_TRIBUTARY', authenticator: 'SNOWFLAKE_JWT', verified: true },
    ]);
    expect(secrets.calls.filter((c) => c.secretId === globexArn)).toHaveLength(1);
  });

  it('routes evolution, previews and load history to the tenant’s account too', async () => {
    bindings.set('globex', globexBinding());
    const w = open();
    const from = plainStream({ tenant: 'globex', dedupe: { key: ['kind'] } });
    const to = evolved(from, (s) => {
      s.properties.note = { type: 'string' };
    });
    expect((await w.planEvolution(from, to)).join('\n')).toContain('"GLOBEX"."GLOBEX"."EVENTS_RAW"');
    // A new column replaces the raw pipe, which first waits for the old one to drain.
    snowflake.on(/SYSTEM\$PIPE_STATUS/, {
      columns: [{ name: 'STATUS', type: 'text' }],
      rows: [[JSON.stringify({ executionState: 'PAUSED', pendingFileCount: 0 })]],
    });
    await w.evolveStream(from, to);
    await w.preview(to, 'raw', 5);
    await w.loadHistory('globex', 'events', '2026-03-01T00:00:00.000Z');
    expect(snowflake.statementsOf('shared_acct')).toEqual([]);
    const sql = snowflake.statementsOf('globex_acct');
    expect(sql.some((q) => q.startsWith('ALTER TABLE "GLOBEX"."GLOBEX"."EVENTS_RAW" ADD COLUMN'))).toBe(true);
    expect(sql.some((q) => q.includes('FROM "GLOBEX"."GLOBEX"."EVENTS_RAW"'))).toBe(true);
    expect(sql.some((q) => q.includes('COPY_HISTORY'))).toBe(true);
  });

  it('a changed binding takes effect on the next call: the old session is closed, a new login made', async () => {
    bindings.set('globex', globexBinding());
    const w = open();
    await w.preview(plainStream({ tenant: 'globex' }), 'raw', 1);
    expect(snowflake.openSessions).toBe(1);
    bindings.set('globex', globexBinding({ warehouse: 'BIGGER_WH', boundAt: '2026-03-02T00:00:00.000Z' }));
    await w.preview(plainStream({ tenant: 'globex' }), 'raw', 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(snowflake.logins.filter((l) => l.account === 'globex_acct')).toHaveLength(2);
    expect(snowflake.openSessions).toBe(1);
    // Unbinding moves the tenant back to the shared account.
    bindings.delete('globex');
    await w.preview(plainStream({ tenant: 'globex' }), 'raw', 1);
    expect(snowflake.executions.at(-1)?.account).toBe('shared_acct');
  });

  it('a key secret that broke after the check is a retryable 503 error, and nothing runs', async () => {
    bindings.set(
      'globex',
      globexBinding({ privateKeySecretArn: secrets.put('tributary/tenants/gone', 'no pem') }),
    );
    const w = open();
    const err = await w.createStream(plainStream({ tenant: 'globex' })).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toMatch(/tenant 'globex' cannot be read/);
    expect(snowflake.statements).toEqual([]);
  });

  it('refuses a lake events topic that is not an SNS topic ARN before generating anything', () => {
    expect(() =>
      createStreamSql(plainStream(), { ...shared, lakeEventsTopicArn: "arn:aws:sns:x'; DROP" }),
    ).toThrow(InvalidInputError);
    expect(createStreamSql(plainStream(), config).join('\n')).not.toContain('AWS_SNS_TOPIC');
  });

  it('checks the tenant name before looking up any binding', async () => {
    let lookups = 0;
    const w = new SnowflakeWarehouse({
      config: shared,
      logger: silentLogger,
      connect: () => Promise.reject(new Error('unreachable')),
      targetOf: async () => {
        lookups++;
        return undefined;
      },
    });
    warehouse = w;
    await expect(w.loadHistory('a"; drop table x; --', 'events')).rejects.toBeInstanceOf(InvalidInputError);
    expect(lookups).toBe(0);
  });
});

describe('SnowflakeBindingProbe', () => {
  const probe = (loginTimeoutMs?: number) =>
    new SnowflakeBindingProbe({
      secrets: reader,
      tenantAccessUrl: snowflake.url,
      ...(loginTimeoutMs ? { loginTimeoutMs } : {}),
    });
  const spec = (over: Partial<WarehouseBinding> = {}) => {
    const { tenant: _t, currentAccount: _c, boundAt: _b, ...rest } = globexBinding(over);
    return rest;
  };
  const stepOf = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(WarehouseCheckError);
    return { step: (err as WarehouseCheckError).step, message: err!.message };
  };

  it('reads the key by ARN, logs in with it, asks CURRENT_ACCOUNT() and closes the session', async () => {
    expect(await probe().check(spec())).toEqual({ currentAccount: 'GLOBEX_ACCT' });
    expect(snowflake.statementsOf('globex_acct')).toEqual([
      'SELECT CURRENT_ACCOUNT() AS "ACCOUNT", CURRENT_ROLE() AS "ROLE", CURRENT_DATABASE() AS "DATABASE", CURRENT_WAREHOUSE() AS "WAREHOUSE"',
    ]);
    expect(snowflake.openSessions).toBe(0);
  });

  it('names the secret step: missing, outside tributary/tenants/, or not a key', async () => {
    const missing = await stepOf(
      probe().check(spec({ privateKeySecretArn: `${globexArn.slice(0, -6)}zzzzzz` })),
    );
    expect(missing).toMatchObject({ step: 'secret', message: expect.stringMatching(/does not exist/) });
    const outside = await stepOf(probe().check(spec({ privateKeySecretArn: secrets.put('prod/key', 'x') })));
    expect(outside).toMatchObject({ step: 'secret', message: expect.stringMatching(/may not be read/) });
    const notKey = await stepOf(
      probe().check(spec({ privateKeySecretArn: secrets.put('tributary/tenants/word', 'hunter2') })),
    );
    expect(notKey).toMatchObject({ step: 'secret', message: expect.stringMatching(/no PEM private key/) });
    expect(notKey.message).not.toContain('hunter2');
    expect(snowflake.logins).toEqual([]);
  });

  it('names the connect step: a key the account does not know, or an account that does not exist', async () => {
    const wrongKey = secrets.put('tributary/tenants/wrong', sharedKey.privateKey);
    const refused = await stepOf(probe().check(spec({ privateKeySecretArn: wrongKey })));
    expect(refused).toMatchObject({
      step: 'connect',
      message: expect.stringMatching(/JWT token is invalid/),
    });
    const unknown = await stepOf(probe().check(spec({ account: 'nobody_acct' })));
    expect(unknown.step).toBe('connect');
    expect(unknown.message).toMatch(/account 'nobody_acct' as 'GLOBEX_TRIBUTARY'/);
  });

  it('gives up on a login that never answers', async () => {
    const hanging = new SnowflakeBindingProbe({
      secrets: reader,
      loginTimeoutMs: 50,
      connect: () => new Promise(() => undefined),
    });
    const out = await stepOf(hanging.check(spec()));
    expect(out).toMatchObject({ step: 'connect', message: expect.stringMatching(/no answer within/) });
  });

  it('names the query step when the session lacks the database or warehouse, or the query fails', async () => {
    const columns = ['ACCOUNT', 'ROLE', 'DATABASE', 'WAREHOUSE'].map((name) => ({
      name,
      type: 'text' as const,
    }));
    snowflake.on(
      'CURRENT_ACCOUNT()',
      { columns, rows: [['GLOBEX_ACCT', 'GLOBEX_LOADER', null, 'GLOBEX_WH']] },
      1,
    );
    const noDb = await stepOf(probe().check(spec()));
    expect(noDb).toMatchObject({ step: 'query', message: expect.stringMatching(/database 'GLOBEX'/) });
    snowflake.on(
      'CURRENT_ACCOUNT()',
      { columns, rows: [['GLOBEX_ACCT', 'GLOBEX_LOADER', 'GLOBEX', null]] },
      1,
    );
    expect((await stepOf(probe().check(spec()))).message).toMatch(/warehouse 'GLOBEX_WH'/);
    snowflake.on(
      'CURRENT_ACCOUNT()',
      { code: '000606', message: 'No active warehouse selected in the current session.', sqlState: '57P03' },
      1,
    );
    expect(await stepOf(probe().check(spec()))).toMatchObject({
      step: 'query',
      message: expect.stringMatching(/No active warehouse/),
    });
    expect(snowflake.openSessions).toBe(0);
  });

  it('a Secrets Manager outage is not the binding’s fault: DependencyUnavailableError', async () => {
    secrets.fail({ kind: 'http500' }, 10);
    try {
      const err = await probe()
        .check(spec())
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DependencyUnavailableError);
      expect(err).not.toBeInstanceOf(WarehouseCheckError);
    } finally {
      secrets.clearFaults();
    }
  });
});
