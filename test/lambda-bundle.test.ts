import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ALBResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  ensureTable,
  startDynalite,
  type EmbeddedDynamo,
} from '../api/adapters/dynamodb/index.js';
import { startLambda, type LambdaProcess } from '../bench/lambda-process.js';
import { makeRecord } from '../bench/records.js';
import { bundleLambda } from '../infra/bundle.js';
import { ALB_LAMBDA_MAX_BODY_BYTES } from '../infra/stack.js';
import { albEvent, readAlbResult, type AlbAnswer, type AlbMode, type AlbRequest } from './support/alb.js';
import { startFirehoseStub, type FirehoseStub } from './support/firehose-stub.js';
import { SnowflakeStub } from './support/snowflake-stub.js';
import { removeDir, tempDir } from './support/temp-dir.js';

/**
 * The built bundle (dist/lambda/index.mjs as infra/bundle.ts makes it, into a temp dir with no
 * node_modules beside it, as in Lambda) loaded in its own Node process and invoked with the events an
 * ALB sends: both header modes, base64 and gzip bodies, the 1 MB body limit. AWS mode against dynalite,
 * the Firehose stub and the Snowflake stub, configured through the environment the stack sets.
 * test/lambda.test.ts covers the same entry from source, in-process.
 */
const ADMIN = 'bundle-test-admin-key-0123456789abcdef';
const RAW = 'raw-stream';
const INGEST = '/v1/tenants/acme/streams/orders/records';

let dir: string;
let dynamo: EmbeddedDynamo;
let firehose: FirehoseStub;
let snowflake: SnowflakeStub;
let fn: LambdaProcess;
let key = '';

async function call(req: AlbRequest, mode: AlbMode = 'multi'): Promise<AlbAnswer> {
  const out = await fn.invoke<ALBResult>(albEvent(req, mode));
  if (!out.ok) throw new Error(`the handler threw ${out.errorType}: ${out.errorMessage}\n${fn.output()}`);
  return readAlbResult(req, mode, out.result);
}

const auth = (): [string, string] => ['authorization', `Bearer ${key}`];
const jsonType: [string, string] = ['content-type', 'application/json'];

/** Ids of the records the Firehose stub has accepted on the raw stream, in order. */
function deliveredIds(): string[] {
  return firehose
    .delivered(RAW)
    .flatMap((b) => b.toString('utf8').split('\n'))
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { record: { id: string } }).record.id);
}

/** Runs `send` and returns what it answered plus the ids delivered meanwhile. */
async function delivering(send: () => Promise<AlbAnswer>): Promise<{ res: AlbAnswer; ids: string[] }> {
  const before = deliveredIds().length;
  const res = await send();
  return { res, ids: deliveredIds().slice(before) };
}

function records(prefix: string, count: number, bytes = 200): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => makeRecord(i, prefix, bytes));
}

/** A JSON array of records whose serialized length is exactly `bytes`. */
function jsonBodyOf(prefix: string, bytes: number): { body: string; ids: string[] } {
  const recs = records(prefix, Math.floor(bytes / 1_000), 990);
  const body = JSON.stringify(recs);
  const last = recs[recs.length - 1];
  last.payload = String(last.payload) + 'y'.repeat(bytes - body.length);
  const exact = JSON.stringify(recs);
  if (exact.length !== bytes) throw new Error(`built ${exact.length} bytes, wanted ${bytes}`);
  return { body: exact, ids: recs.map((r) => String(r.id)) };
}

beforeAll(async () => {
  dir = await tempDir('tributary-bundle-');
  const bundle = await bundleLambda({ outdir: path.join(dir, 'lambda') });
  dynamo = await startDynalite();
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTable(client, 'tributary-bundle');
  client.destroy();
  firehose = await startFirehoseStub({ streams: [RAW, 'quarantine-stream'] });
  snowflake = await SnowflakeStub.start();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  fn = await startLambda({
    bundleDir: bundle.outdir,
    env: {
      // What infra/stack.ts sets, with local endpoints instead of the AWS ones.
      TRIBUTARY_MODE: 'aws',
      TRIBUTARY_TABLE_NAME: 'tributary-bundle',
      TRIBUTARY_FIREHOSE_STREAM: RAW,
      TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: 'quarantine-stream',
      TRIBUTARY_S3_BUCKET: 'tributary-lake',
      TRIBUTARY_MAX_BODY_BYTES: String(ALB_LAMBDA_MAX_BODY_BYTES),
      TRIBUTARY_ADMIN_KEY: ADMIN,
      TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION: 'tributary_lake',
      SNOWFLAKE_ACCOUNT: 'test_account',
      SNOWFLAKE_USER: 'tributary',
      SNOWFLAKE_WAREHOUSE: 'tributary_wh',
      SNOWFLAKE_DATABASE: 'tributary',
      SNOWFLAKE_ACCESS_URL: snowflake.url,
      SNOWFLAKE_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      NODE_OPTIONS: '--enable-source-maps',
      TRIBUTARY_LOG_LEVEL: 'warn',
      TRIBUTARY_DYNAMODB_ENDPOINT: dynamo.endpoint,
      TRIBUTARY_FIREHOSE_ENDPOINT: firehose.endpoint,
      TRIBUTARY_RETRY_BUDGET_MS: '2000',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
  });
  // Measured, not asserted (the machine is shared): `npm run bench:lambda` records the median.
  console.info(
    `lambda bundle cold start: handler ready ${fn.init.processReadyMs.toFixed(0)} ms after process start ` +
      `(import ${fn.init.importMs.toFixed(0)} ms)`,
  );

  const tenant = await call({
    method: 'POST',
    path: '/v1/tenants',
    headers: [['authorization', `Bearer ${ADMIN}`], jsonType],
    body: JSON.stringify({ name: 'acme' }),
  });
  expect(tenant.status).toBe(201);
  key = (tenant.json().key as { secret: string }).secret;
  const stream = await call({
    method: 'POST',
    path: '/v1/tenants/acme/streams',
    headers: [auth(), jsonType],
    body: JSON.stringify({
      name: 'orders',
      schema: {
        type: 'object',
        properties: { id: { type: 'string' }, action: { type: 'string' }, payload: { type: 'string' } },
        required: ['id'],
      },
    }),
  });
  expect(stream.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await fn?.stop();
  await firehose?.close();
  await snowflake?.close();
  await dynamo?.close();
  if (dir) await removeDir(dir);
});

describe('the built Lambda bundle behind an ALB', () => {
  it('ran the control plane through the bundle: the stream DDL reached Snowflake through the bundled SDK', () => {
    expect(snowflake.logins.length).toBeGreaterThan(0);
    expect(snowflake.statements.join('\n')).toContain('raw/tenant=acme/stream=orders/');
  });

  it.each<AlbMode>(['single', 'multi'])(
    'answers in the header shape of a %s-value target group',
    async (mode) => {
      const res = await call({ method: 'GET', path: '/health' }, mode);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
      expect(res.headers['x-request-id']).toHaveLength(1);
    },
  );

  it('takes repeated headers (two X-Forwarded-For, two Accept) and answers in multiValueHeaders', async () => {
    const req: AlbRequest = {
      method: 'POST',
      path: INGEST,
      headers: [
        auth(),
        jsonType,
        ['x-forwarded-for', '203.0.113.7'],
        ['x-forwarded-for', '10.0.0.1'],
        ['accept', 'application/json'],
        ['accept', 'application/problem+json'],
      ],
      body: JSON.stringify(records('mv', 3)),
    };
    expect(albEvent(req, 'multi').multiValueHeaders?.['x-forwarded-for']).toEqual([
      '203.0.113.7',
      '10.0.0.1',
    ]);
    const { res, ids } = await delivering(() => call(req, 'multi'));
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 3, rejected: 0 });
    expect(ids).toEqual(['mv-00000000', 'mv-00000001', 'mv-00000002']);
    expect(res.headers['content-type']?.[0]).toContain('application/json');
  });

  it('refuses a repeated query parameter with a 400 naming it, and delivers nothing', async () => {
    const req: AlbRequest = {
      method: 'POST',
      path: INGEST,
      query: 'atomic=true&atomic=false',
      headers: [auth(), jsonType],
      body: JSON.stringify(records('rq', 2)),
    };
    const { res, ids } = await delivering(() => call(req, 'multi'));
    expect(res.status).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'query.atomic', message: 'given 2 times; give it once' }]);
    expect(ids).toEqual([]);
    // Without multi-value headers the load balancer keeps only the last value, so the function cannot
    // tell: this is why the stack enables them (infra/constructs/load-balancer.ts).
    expect(albEvent(req, 'single').queryStringParameters).toEqual({ atomic: 'false' });
  });

  it('decodes query values the load balancer passes still URL-encoded', async () => {
    // %74rue is "true": an atomic batch with one bad record is refused whole.
    const { res, ids } = await delivering(() =>
      call({
        method: 'POST',
        path: INGEST,
        query: 'atomic=%74rue',
        headers: [auth(), jsonType],
        body: JSON.stringify([{ id: 'enc-1' }, { id: 2 }]),
      }),
    );
    expect(res.status).toBe(422);
    expect(ids).toEqual([]);
  });

  it('takes NDJSON, which the load balancer base64-encodes (not a text type)', async () => {
    const req: AlbRequest = {
      method: 'POST',
      path: INGEST,
      headers: [auth(), ['content-type', 'application/x-ndjson']],
      body: records('nd', 4)
        .map((r) => JSON.stringify(r) + '\n')
        .join(''),
    };
    expect(albEvent(req, 'single').isBase64Encoded).toBe(true);
    const { res, ids } = await delivering(() => call(req, 'single'));
    expect(res.status).toBe(200);
    expect(ids).toEqual(['nd-00000000', 'nd-00000001', 'nd-00000002', 'nd-00000003']);
  });

  it('takes a gzip body (base64 because of Content-Encoding) that inflates past 1 MB', async () => {
    const recs = records('gz', 3_000, 1_000);
    const inflated = Buffer.from(JSON.stringify(recs));
    const req: AlbRequest = {
      method: 'POST',
      path: INGEST,
      headers: [auth(), jsonType, ['content-encoding', 'gzip']],
      body: gzipSync(inflated),
    };
    const event = albEvent(req, 'multi');
    expect(event.isBase64Encoded).toBe(true);
    expect(inflated.length).toBeGreaterThan(ALB_LAMBDA_MAX_BODY_BYTES);
    expect(Buffer.from(event.body!, 'base64').length).toBeLessThan(ALB_LAMBDA_MAX_BODY_BYTES);
    const { res, ids } = await delivering(() => call(req, 'multi'));
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 3_000, rejected: 0 });
    expect(ids).toEqual(recs.map((r) => r.id));
  });

  it('answers a corrupt gzip body with a 400 naming the body', async () => {
    const res = await call({
      method: 'POST',
      path: INGEST,
      headers: [auth(), jsonType, ['content-encoding', 'gzip']],
      body: Buffer.from('this is not gzip'),
    });
    expect(res.status).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'body' })]);
  });

  it('takes a body of exactly the 1 MB the load balancer passes to a function', async () => {
    const { body, ids: sent } = jsonBodyOf('mb', ALB_LAMBDA_MAX_BODY_BYTES);
    const { res, ids } = await delivering(() =>
      call({ method: 'POST', path: INGEST, headers: [auth(), jsonType], body }),
    );
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ accepted: sent.length, rejected: 0 });
    expect(ids).toEqual(sent);
  });

  it('answers one byte more with a 413 naming the limit and its value, delivering nothing', async () => {
    const { body } = jsonBodyOf('over', ALB_LAMBDA_MAX_BODY_BYTES + 1);
    const { res, ids } = await delivering(() =>
      call({ method: 'POST', path: INGEST, headers: [auth(), jsonType], body }),
    );
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ limit: 'maxBodyBytes', limitValue: ALB_LAMBDA_MAX_BODY_BYTES });
    expect(String(res.json().detail)).toContain(String(ALB_LAMBDA_MAX_BODY_BYTES));
    expect(ids).toEqual([]);
  });

  it('runs the monitoring tick for a scheduled event, loading the Snowflake chunk', async () => {
    snowflake.on('COPY_HISTORY', {
      columns: [
        'KIND',
        'FILE_NAME',
        'LAST_LOAD_TIME',
        'ROW_COUNT',
        'ROW_PARSED',
        'ERROR_COUNT',
        'FIRST_ERROR_MESSAGE',
        'STATUS',
      ].map((name) => ({ name, type: 'text' as const })),
      rows: [],
    });
    const out = await fn.invoke<{ tick: { streams: number; loads: number } }>({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
    });
    expect(out.ok && out.result.tick).toMatchObject({ streams: 1, loads: 0 });
    expect(snowflake.statements.some((s) => s.includes('COPY_HISTORY'))).toBe(true);
  });
});
