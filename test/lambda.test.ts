import { generateKeyPairSync } from 'node:crypto';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  ensureTable,
  startDynalite,
  type EmbeddedDynamo,
} from '../api/adapters/dynamodb/index.js';
import { checkExchange } from './support/contract.js';
import { captureEmf, emfSum } from './support/emf.js';
import { startFirehoseStub, type FirehoseStub } from './support/firehose-stub.js';
import { SnowflakeStub } from './support/snowflake-stub.js';
import { SnowpipeModel } from './support/snowpipe-model.js';

/**
 * The Lambda entry end to end with hand-built ALB events: DynamoDB on dynalite, delivery through the
 * real Firehose client against the Firehose stub, DDL through the real snowflake-sdk against its stub.
 */
const ADMIN = 'lambda-test-admin-key-0123456789abcdef';
let dynamo: EmbeddedDynamo;
let firehose: FirehoseStub;
let snowflake: SnowflakeStub;
let handler: (event: ALBEvent, context: Context) => Promise<ALBResult>;
let catalogTableCheck: () => Promise<{ state: string }>;
let tickHandler: (
  event: { source: 'aws.events'; 'detail-type': 'Scheduled Event' },
  context: Context,
) => Promise<{ tick: { loads: number; receipts: number } }>;

function alb(
  method: string,
  path: string,
  opts: {
    key?: string;
    body?: unknown;
    query?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): ALBEvent {
  return {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/abc' },
    },
    httpMethod: method,
    path,
    queryStringParameters: opts.query ?? {},
    headers: {
      host: 'ingest.example.com',
      'x-forwarded-proto': 'https',
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.headers ?? {}),
    },
    body: opts.body === undefined ? null : JSON.stringify(opts.body),
    isBase64Encoded: false,
  };
}

async function call(
  event: ALBEvent,
): Promise<{ status: number; headers: Record<string, string>; json: Record<string, unknown> }> {
  const res = await handler(event, {} as Context);
  const query = new URLSearchParams((event.queryStringParameters ?? {}) as Record<string, string>).toString();
  checkExchange({
    method: event.httpMethod,
    url: query ? `${event.path}?${query}` : event.path,
    status: res.statusCode,
    headers: (res.headers ?? {}) as Record<string, string>,
    body: res.body ?? '',
    base64: res.isBase64Encoded ?? false,
  });
  return {
    status: res.statusCode,
    headers: (res.headers ?? {}) as Record<string, string>,
    json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {},
  };
}

beforeAll(async () => {
  dynamo = await startDynalite();
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTable(client, 'tributary-test');
  client.destroy();
  firehose = await startFirehoseStub({ streams: ['raw-stream', 'quarantine-stream'] });
  snowflake = await SnowflakeStub.start();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  Object.assign(process.env, {
    TRIBUTARY_MODE: 'aws',
    TRIBUTARY_LOG_LEVEL: 'silent',
    TRIBUTARY_ADMIN_KEY: ADMIN,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    TRIBUTARY_TABLE_NAME: 'tributary-test',
    TRIBUTARY_DYNAMODB_ENDPOINT: dynamo.endpoint,
    TRIBUTARY_FIREHOSE_STREAM: 'raw-stream',
    TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: 'quarantine-stream',
    TRIBUTARY_FIREHOSE_ENDPOINT: firehose.endpoint,
    TRIBUTARY_RETRY_BUDGET_MS: '400',
    SNOWFLAKE_ACCOUNT: 'test_account',
    SNOWFLAKE_USER: 'tributary',
    SNOWFLAKE_WAREHOUSE: 'tributary_wh',
    SNOWFLAKE_DATABASE: 'tributary',
    SNOWFLAKE_ACCESS_URL: snowflake.url,
    SNOWFLAKE_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    TRIBUTARY_S3_BUCKET: 'tributary-lake',
    TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION: 'tributary_lake',
  });
  const mod = await import('../api/lambda.js');
  handler = mod.handler;
  tickHandler = mod.handler;
  catalogTableCheck = mod.catalogTableCheck;
});

afterAll(async () => {
  await firehose?.close();
  await snowflake?.close();
  await dynamo?.close();
});

describe('Lambda entry (ALB events)', () => {
  let tenantKey = '';

  it('answers /health with a request id', async () => {
    const res = await call(alb('GET', '/health'));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('has checked the catalog table during the first invocation: it matches the definition', async () => {
    await expect(catalogTableCheck()).resolves.toEqual({ state: 'matches' });
  });

  it('refuses a missing key with a problem body', async () => {
    const res = await call(alb('GET', '/v1/tenants'));
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json.code).toBe('unauthenticated');
  });

  it('creates a tenant and a stream; the stream runs its Snowflake DDL', async () => {
    const t = await call(alb('POST', '/v1/tenants', { key: ADMIN, body: { name: 'acme' } }));
    expect(t.status).toBe(201);
    tenantKey = (t.json.key as { secret: string }).secret;
    const s = await call(
      alb('POST', '/v1/tenants/acme/streams', {
        key: tenantKey,
        body: {
          name: 'orders',
          schema: {
            type: 'object',
            properties: { id: { type: 'string' }, n: { type: 'integer' } },
            required: ['id'],
          },
        },
      }),
    );
    expect(s.status).toBe(201);
    const ddl = snowflake.statements.join('\n');
    expect(ddl).toMatch(/CREATE .*TABLE/i);
    expect(ddl).toMatch(/AUTO_INGEST = TRUE/);
    expect(ddl).toContain('raw/tenant=acme/stream=orders/');
  });

  it('masks a column in Snowflake when only piiFields change, with no new schema version', async () => {
    const before = snowflake.statements.length;
    const res = await call(
      alb('PATCH', '/v1/tenants/acme/streams/orders', { key: tenantKey, body: { piiFields: ['id'] } }),
    );
    expect(res.status).toBe(200);
    expect(res.json.version).toBe(1);
    const ddl = snowflake.statements.slice(before).join('\n');
    expect(ddl).toMatch(/ALTER TABLE .*"ORDERS_RAW" MODIFY COLUMN "ID" SET MASKING POLICY/);
  });

  it('ingests through Firehose: 200 only after every record has a RecordId, rejects to quarantine', async () => {
    const res = await call(
      alb('POST', '/v1/tenants/acme/streams/orders/records', {
        key: tenantKey,
        body: [{ id: 'a', n: 1 }, { id: 'b', extra: true }, { n: 'bad' }],
      }),
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 2, rejected: 1 });
    const raw = firehose
      .delivered('raw-stream')
      .map((b) => b.toString())
      .join('');
    const lines = raw
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => (l.record as { id: string }).id)).toEqual(['a', 'b']);
    expect(lines[0]).toMatchObject({ _tenant: 'acme', _stream: 'orders', _batch_id: res.json.batchId });
    expect(raw.endsWith('\n')).toBe(true);
    expect(
      firehose
        .delivered('quarantine-stream')
        .map((b) => b.toString())
        .join(''),
    ).toContain('"errors"');

    const receipt = await call(
      alb('GET', `/v1/tenants/acme/streams/orders/batches/${String(res.json.batchId)}`, { key: tenantKey }),
    );
    expect(receipt.status).toBe(200);
    expect(receipt.json).toMatchObject({ state: 'delivered', accepted: 2, rejected: 1 });
  });

  it('counts ingest in the per-minute counters the UI reads, and as CloudWatch EMF lines', async () => {
    const totals = async () =>
      (
        await call(
          alb('GET', '/v1/tenants/acme/streams/orders/metrics', { key: tenantKey, query: { minutes: '5' } }),
        )
      ).json.totals as Record<string, number>;
    const before = await totals();
    const emf = captureEmf();
    try {
      const res = await call(
        alb('POST', '/v1/tenants/acme/streams/orders/records', {
          key: tenantKey,
          body: [{ id: 'm1' }, { id: 'm2' }, { n: 'bad' }],
        }),
      );
      expect(res.status).toBe(200);
    } finally {
      emf.stop();
    }
    // Flushed to DynamoDB before the invocation returned: the next invocation (any container) reads them.
    const after = await totals();
    expect(after.received - before.received).toBe(3);
    expect(after.accepted - before.accepted).toBe(2);
    expect(after.rejected - before.rejected).toBe(1);
    expect(after.deliveredObjects - before.deliveredObjects).toBe(2);
    const stream = { tenant: 'acme', stream: 'orders' };
    expect(emfSum(emf.lines, 'RecordsReceived', stream)).toBe(3);
    expect(emfSum(emf.lines, 'RecordsAccepted', stream)).toBe(2);
    expect(emfSum(emf.lines, 'RecordsRejected', stream)).toBe(1);
    expect(emfSum(emf.lines, 'DeliveredRecords', stream)).toBe(2);
    expect(emf.lines.every((l) => l._aws.CloudWatchMetrics[0].Namespace === 'Tributary')).toBe(true);
  });

  it('answers 503 with Retry-After when Firehose keeps throttling past the retry budget', async () => {
    const before = firehose.delivered('raw-stream').length;
    firehose.fail({ kind: 'throttle' }, Infinity);
    const emf = captureEmf();
    try {
      const res = await call(
        alb('POST', '/v1/tenants/acme/streams/orders/records', { key: tenantKey, body: [{ id: 'z' }] }),
      );
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.json.code).toBe('dependency_unavailable');
    } finally {
      firehose.clearFaults();
      emf.stop();
    }
    expect(firehose.delivered('raw-stream').length).toBe(before);
    expect(emfSum(emf.lines, 'ResponsesUnavailable')).toBe(1);
    expect(emfSum(emf.lines, 'RecordsAccepted')).toBe(0);
  });

  it('a scheduled tick reads COPY_HISTORY into the load counters and turns the receipt loaded', async () => {
    const posted = await call(
      alb('POST', '/v1/tenants/acme/streams/orders/records', {
        key: tenantKey,
        body: [{ id: 'r1' }, { id: 'r2' }],
      }),
    );
    const batchId = String(posted.json.batchId);
    const path = `/v1/tenants/acme/streams/orders/batches/${batchId}`;
    expect((await call(alb('GET', path, { key: tenantKey }))).json).toMatchObject({ state: 'delivered' });

    // Firehose writes the batch's lines into one lake object, and Snowpipe loads it. Now, not later:
    // a load time in the next minute falls outside the metrics window read below.
    const loadedAt = new Date().toISOString();
    const lake = new SnowpipeModel({
      bucket: 'tributary-lake',
      now: () => loadedAt,
      rawPipePath: 'raw/tenant=acme/stream=orders/',
    });
    lake.install(snowflake);
    const lines = firehose
      .delivered('raw-stream')
      .flatMap((b) => b.toString().trim().split('\n'))
      .filter((l) => (JSON.parse(l) as { _batch_id: string })._batch_id === batchId);
    const file = `raw/tenant=acme/stream=orders/dt=${loadedAt.slice(0, 10)}/hour=${loadedAt.slice(11, 13)}/raw-stream-1-x`;
    lake.put(file, lines);
    lake.load(file);

    const emf = captureEmf();
    const tick = await tickHandler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event' },
      {} as Context,
    ).finally(emf.stop);
    expect(tick.tick).toMatchObject({ loads: 1, receipts: 1 });
    expect(emfSum(emf.lines, 'LoadedRows', { tenant: 'acme', stream: 'orders' })).toBe(2);
    expect(
      (await tickHandler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, {} as Context)).tick,
    ).toMatchObject({ loads: 0, receipts: 0 });

    const metrics = await call(
      alb('GET', '/v1/tenants/acme/streams/orders/metrics', { key: tenantKey, query: { minutes: '5' } }),
    );
    expect((metrics.json.totals as { loadedRows: number }).loadedRows).toBe(2);
    const before = snowflake.statements.length;
    const receipt = await call(alb('GET', path, { key: tenantKey }));
    expect(receipt.json).toMatchObject({ state: 'loaded', accepted: 2, loadedAt });
    // The receipt itself says so now: no count of the batch's rows in Snowflake on read.
    expect(snowflake.statements.slice(before)).toEqual([]);
  });

  it('serves no Prometheus exposition: /metrics is local-mode only and answers 501 naming CloudWatch', async () => {
    expect((await call(alb('GET', '/metrics'))).status).toBe(401);
    const res = await call(alb('GET', '/metrics', { key: ADMIN }));
    expect(res.status).toBe(501);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json).toMatchObject({ code: 'local_mode_only', status: 501 });
    expect(String(res.json.detail)).toMatch(/CloudWatch metrics in the Tributary namespace/);
  });

  it('answers malformed JSON with a 400 naming the offset', async () => {
    const event = alb('POST', '/v1/tenants/acme/streams/orders/records', {
      key: tenantKey,
      headers: { 'content-type': 'application/json' },
    });
    event.body = '[{"id":';
    const res = await call(event);
    expect(res.status).toBe(400);
    expect(String(res.json.detail)).toMatch(/offset/);
  });
});
