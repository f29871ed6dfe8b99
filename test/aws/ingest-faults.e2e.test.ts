import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { ALBEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient, startDynalite, type EmbeddedDynamo } from '../../api/adapters/dynamodb/index.js';
import { checkExchange } from '../support/contract.js';
import { emfSum } from '../support/emf.js';
import { startFirehoseStub, type FirehoseStub, type StubFault } from '../support/firehose-stub.js';
import { SnowflakeStub } from '../support/snowflake-stub.js';
import { removeDir, tempDir } from '../support/temp-dir.js';
import {
  albEvent,
  buildBundle,
  createTableFromTemplate,
  seeded,
  startContainers,
  synthesize,
  type Container,
} from './harness.js';

/**
 * AWS mode end to end: the built Lambda bundle, loaded as separate containers that each take one
 * invocation at a time, against dynalite holding the catalog table as the synthesized stack declares it,
 * the real Firehose client against a stub that injects partial failures (FailedPutCount), throttling,
 * 5xx, answers that never come and answers lost after the records were taken, and the Snowflake stub for
 * the stream's DDL. Producers send thousands of records with Idempotency-Keys and retry like a producer
 * would, sometimes losing a 200 on the way back. E2E_SEED picks another mix of faults (the interleaving of
 * concurrent producers still varies from run to run; every assertion holds for any of them).
 */
const SEED = Number(process.env.E2E_SEED ?? 20261126);
const ADMIN = 'aws-e2e-admin-key-0123456789abcdef';
const TABLE = 'tributary-catalog-e2e';
const RAW = 'tributary-raw-e2e';
const QUARANTINE = 'tributary-quarantine-e2e';
const INGEST_CONTAINERS = 4;
const PRODUCERS = 4;
const SMALL_BATCHES = 50;
const SMALL_RECORDS = 20;
/** One large request per producer: its lines pack into two Firehose records, so a call can fail in part. */
const LARGE_RECORDS = 2_500;
/** Every 25th record breaks the schema and goes to quarantine. */
const INVALID_EVERY = 25;
/** Share of 200 answers a producer pretends never arrived, retrying with the same key. */
const LOSE_ANSWER = 0.05;
const MAX_ATTEMPTS = 40;

let dir: string;
let dynamo: EmbeddedDynamo;
let firehose: FirehoseStub;
let snowflake: SnowflakeStub;
let api: Container;
let ingest: Container[];
let tenantKey = '';
/** What the fault run acknowledged and saw, for the tests after it. */
const run = {
  acknowledged: [] as { accepted: number; rejected: number }[],
  unavailable: 0,
  figures: {} as Record<string, unknown> & { recordsAcknowledged?: number },
};

/** Calls a container and checks the answer against openapi.yaml, as every route test does. */
async function call(container: Container, event: ALBEvent) {
  const res = await container.handler(event);
  const headers = (res.headers ?? {}) as Record<string, string>;
  const query = new URLSearchParams((event.queryStringParameters ?? {}) as Record<string, string>).toString();
  checkExchange({
    method: event.httpMethod,
    url: query ? `${event.path}?${query}` : event.path,
    status: res.statusCode,
    headers,
    body: res.body ?? '',
    base64: res.isBase64Encoded ?? false,
  });
  return { status: res.statusCode, headers, json: JSON.parse(res.body || '{}') as Record<string, unknown> };
}

beforeAll(async () => {
  dir = await tempDir('tributary-aws-e2e-');
  const bundleDir = await buildBundle(dir);
  snowflake = await SnowflakeStub.start();
  const synth = synthesize(bundleDir, path.join(dir, 'cdk.out'), {
    AWS_REGION: 'us-east-1',
    SNOWFLAKE_ACCOUNT: 'test_account',
    SNOWFLAKE_USER: 'tributary',
    SNOWFLAKE_WAREHOUSE: 'tributary_wh',
    SNOWFLAKE_DATABASE: 'tributary',
    SNOWFLAKE_ACCESS_URL: snowflake.url,
    TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION: 'tributary_lake',
  });
  dynamo = await startDynalite();
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await createTableFromTemplate(client, TABLE, synth.table);
  client.destroy();
  firehose = await startFirehoseStub({ streams: [RAW, QUARANTINE] });

  // The functions' environment as synthesized; references become the local stand-ins' names.
  const resolved: Record<string, string | undefined> = {
    TRIBUTARY_TABLE_NAME: TABLE,
    TRIBUTARY_FIREHOSE_STREAM: RAW,
    TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: QUARANTINE,
    TRIBUTARY_S3_BUCKET: 'tributary-lake-e2e',
    TRIBUTARY_ADMIN_KEY: ADMIN,
    // No Secrets Manager here: the key is given directly, which the adapter prefers.
    SNOWFLAKE_PRIVATE_KEY_SECRET_ARN: undefined,
  };
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [k, v] of Object.entries(synth.environment)) {
    if (typeof v === 'string') env[k] = v;
    else if (!(k in resolved)) throw new Error(`the synthesized environment references ${v.ref} for ${k}`);
    else if (resolved[k] !== undefined) env[k] = resolved[k];
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  Object.assign(env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    TRIBUTARY_LOG_LEVEL: 'silent',
    TRIBUTARY_DYNAMODB_ENDPOINT: dynamo.endpoint,
    TRIBUTARY_FIREHOSE_ENDPOINT: firehose.endpoint,
    // Short, so an answer that never comes costs a second, not eight.
    TRIBUTARY_RETRY_BUDGET_MS: '1000',
    SNOWFLAKE_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  [api, ...ingest] = await startContainers(bundleDir, 1 + INGEST_CONTAINERS, env);
}, 180_000);

afterAll(async () => {
  await Promise.all([api, ...(ingest ?? [])].map((c) => c?.close()));
  await firehose?.close();
  await snowflake?.close();
  await dynamo?.close();
  if (dir) await removeDir(dir);
});

describe('AWS mode under Firehose faults', () => {
  it('sets up a tenant and a stream through the api function (Snowflake DDL through the stub)', async () => {
    const tenant = await call(api, albEvent('POST', '/v1/tenants', { key: ADMIN, body: '{"name":"acme"}' }));
    expect(tenant.status).toBe(201);
    tenantKey = (tenant.json.key as { secret: string }).secret;
    const schema = {
      type: 'object',
      properties: { id: { type: 'string' }, seq: { type: 'integer' }, pad: { type: 'string' } },
      required: ['id', 'seq'],
    };
    const stream = await call(
      api,
      albEvent('POST', '/v1/tenants/acme/streams', {
        key: tenantKey,
        body: JSON.stringify({ name: 'events', schema }),
      }),
    );
    expect(stream.status).toBe(201);
    expect(snowflake.statements.join('\n')).toContain('raw/tenant=acme/stream=events/');
  });

  it('loses no acknowledged record, bounds the copies, and answers every 5xx with a documented 503', async () => {
    // Each kind once up front, whatever the dice say, then a random mix on every call.
    for (const fault of [
      { kind: 'entries', fail: (_data: Buffer, i: number) => i === 0 },
      { kind: 'throttle' },
      { kind: 'http500' },
      { kind: 'hang' },
      { kind: 'lostAnswer' },
    ] as StubFault[])
      firehose.fail(fault);
    const dice = seeded(SEED);
    firehose.setPolicy((): StubFault | undefined => {
      const r = dice();
      if (r < 0.15) return { kind: 'entries', fail: () => dice() < 0.5 };
      if (r < 0.2) return { kind: 'throttle' };
      if (r < 0.25) return { kind: 'http500' };
      if (r < 0.28) return { kind: 'hang' };
      if (r < 0.31) return { kind: 'lostAnswer' };
      return undefined;
    });

    const acknowledged = new Map<string, { accepted: number; rejected: number }>();
    const acceptedIds: string[] = [];
    const rejectedIds: string[] = [];
    const unavailableByKey = new Map<string, number>();
    const statuses = new Map<number, number>();
    let attempts = 0;
    let lostByProducer = 0;
    let replays = 0;

    const send = async (
      rng: () => number,
      key: string,
      records: Record<string, unknown>[],
      valid: boolean[],
    ) => {
      const body = JSON.stringify(records);
      for (let attempt = 1; ; attempt++) {
        expect(attempt, `${key} still not acknowledged`).toBeLessThanOrEqual(MAX_ATTEMPTS);
        attempts++;
        const container = ingest[Math.floor(rng() * ingest.length)];
        const res = await call(
          container,
          albEvent('POST', '/v1/tenants/acme/streams/events/records', {
            key: tenantKey,
            body,
            headers: { 'idempotency-key': key },
          }),
        );
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) {
          expect(res.status).toBe(503);
          expect(res.headers['retry-after']).toMatch(/^\d+$/);
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.json.code).toBe('dependency_unavailable');
          unavailableByKey.set(key, (unavailableByKey.get(key) ?? 0) + 1);
          // Retry-After scaled down: the test waits milliseconds where a producer would wait seconds.
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        expect(res.status).toBe(200);
        if (res.headers['idempotent-replayed'] === 'true') replays++;
        else if (rng() < LOSE_ANSWER) {
          lostByProducer++;
          continue;
        }
        acknowledged.set(key, { accepted: Number(res.json.accepted), rejected: Number(res.json.rejected) });
        records.forEach((r, i) => (valid[i] ? acceptedIds : rejectedIds).push(String(r.id)));
        return;
      }
    };

    const producer = async (p: number) => {
      const rng = seeded(SEED + 1 + p);
      for (let b = 0; b <= SMALL_BATCHES; b++) {
        const key = `p${p}-b${b}`;
        const count = b === SMALL_BATCHES ? LARGE_RECORDS : SMALL_RECORDS;
        const pad = b === SMALL_BATCHES ? 'x'.repeat(320) : '';
        const valid: boolean[] = [];
        const records = Array.from({ length: count }, (_, i) => {
          const ok = (i + 1) % INVALID_EVERY !== 0;
          valid.push(ok);
          return { id: `${key}-r${i}`, seq: ok ? i : `not-a-number-${i}`, pad };
        });
        await send(rng, key, records, valid);
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, (_, p) => producer(p)));
    firehose.setPolicy(undefined);

    // What reached Firehose: every copy of every line, by record id.
    const copies = new Map<string, number>();
    for (const data of firehose.delivered(RAW)) {
      for (const line of data.toString().split('\n')) {
        if (!line) continue;
        const id = String((JSON.parse(line) as { record: { id: string } }).record.id);
        copies.set(id, (copies.get(id) ?? 0) + 1);
      }
    }
    const quarantined = new Set<string>();
    for (const data of firehose.delivered(QUARANTINE)) {
      for (const m of data.toString().matchAll(/"id":"([^"]+)"/g)) quarantined.add(m[1]);
    }
    // Lines Firehose took but whose answer was lost: resent, so they may arrive twice.
    const takenUnanswered = new Map<string, number>();
    for (const c of firehose.calls) {
      if (c.outcome !== 'lostAnswer' || c.streamName !== RAW) continue;
      for (const data of c.records)
        for (const m of data.toString().matchAll(/"record":\{"id":"([^"]+)"/g))
          takenUnanswered.set(m[1], (takenUnanswered.get(m[1]) ?? 0) + 1);
    }

    const lost = acceptedIds.filter((id) => !copies.has(id));
    expect(lost).toEqual([]);
    expect(rejectedIds.filter((id) => !quarantined.has(id))).toEqual([]);
    // Nothing reached the raw stream that no request carried as valid.
    const acceptedSet = new Set(acceptedIds);
    expect([...copies.keys()].filter((id) => !acceptedSet.has(id))).toEqual([]);

    // The bound: a record arrives once, plus once per lost Firehose answer that carried it, plus once per
    // 503 its request got (the retry resends what an earlier try may have delivered in part).
    let extraCopies = 0;
    let bound = 0;
    const overBound: string[] = [];
    for (const [id, n] of copies) {
      const key = id.slice(0, id.lastIndexOf('-r'));
      const allowed = 1 + (takenUnanswered.get(id) ?? 0) + (unavailableByKey.get(key) ?? 0);
      extraCopies += n - 1;
      bound += allowed - 1;
      if (n > allowed) overBound.push(`${id}: ${n} copies, at most ${allowed}`);
    }
    expect(overBound).toEqual([]);
    expect(replays).toBe(lostByProducer);

    const outcomes = new Map<string, number>();
    for (const c of firehose.calls) outcomes.set(c.outcome, (outcomes.get(c.outcome) ?? 0) + 1);
    for (const kind of ['partial', 'throttle', 'http500', 'hang', 'lostAnswer'])
      expect(outcomes.get(kind), kind).toBeGreaterThan(0);
    const unavailable = [...unavailableByKey.values()].reduce((a, b) => a + b, 0);
    expect(Object.fromEntries(statuses)).toEqual({ 200: attempts - unavailable, 503: unavailable });
    expect(acceptedIds.length).toBeGreaterThan(10_000);

    run.acknowledged = [...acknowledged.values()];
    run.unavailable = unavailable;
    run.figures = {
      seed: SEED,
      requests: acknowledged.size,
      attempts,
      firehoseCalls: firehose.calls.length,
      faultsInjected: firehose.calls.filter((c) => c.outcome !== 'ok').length,
      byOutcome: Object.fromEntries(outcomes),
      answers503: unavailable,
      answersLostByProducer: lostByProducer,
      idempotentReplays: replays,
      recordsAcknowledged: acceptedIds.length,
      recordsRejectedToQuarantine: rejectedIds.length,
      recordsLost: lost.length,
      extraCopies,
      extraCopiesBound: bound,
    };
    console.log(`aws e2e fault figures: ${JSON.stringify(run.figures)}`);
  }, 600_000);

  it('lists keys through the index the synthesized table declares', async () => {
    const keys = await call(api, albEvent('GET', '/v1/tenants/acme/keys', { key: tenantKey }));
    expect(keys.status).toBe(200);
    expect((keys.json.keys as { role: string }[]).map((k) => k.role)).toContain('admin');
  });

  it('found the catalog table matching its definition in every container', async () => {
    for (const c of [api, ...ingest])
      await expect(c.catalogTableCheck()).resolves.toEqual({ state: 'matches' });
  });

  it('counts what was acknowledged in the minute counters the UI reads and in CloudWatch EMF', async () => {
    const accepted = run.acknowledged.reduce((n, a) => n + a.accepted, 0);
    const rejected = run.acknowledged.reduce((n, a) => n + a.rejected, 0);
    expect(accepted).toBe(run.figures.recordsAcknowledged);
    // Any container's flush reached DynamoDB before its invocation returned: the api function reads them all.
    const metrics = await call(
      api,
      albEvent('GET', '/v1/tenants/acme/streams/events/metrics', {
        key: tenantKey,
        query: { minutes: '60' },
      }),
    );
    expect(metrics.status).toBe(200);
    expect(metrics.json.totals).toMatchObject({ received: accepted + rejected, accepted, rejected });

    // EMF lines travel on stdout beside the answers; a container's are all in once it has exited.
    await Promise.all(ingest.map((c) => c.close()));
    const lines = ingest.flatMap((c) => c.emf);
    const stream = { tenant: 'acme', stream: 'events' };
    expect(emfSum(lines, 'RecordsAccepted', stream)).toBe(accepted);
    expect(emfSum(lines, 'RecordsRejected', stream)).toBe(rejected);
    expect(emfSum(lines, 'RecordsReceived', stream)).toBe(accepted + rejected);
    expect(emfSum(lines, 'ResponsesUnavailable')).toBe(run.unavailable);
    expect(emfSum(lines, 'DeliveredRecords', stream)).toBeGreaterThanOrEqual(run.acknowledged.length);
    expect(lines.every((l) => l._aws.CloudWatchMetrics[0].Namespace === 'Tributary')).toBe(true);
  });
});
