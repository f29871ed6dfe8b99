import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../api/domain/records/types.js';
import { createKey, createStream, createTenant, startTestStack, type TestStack } from '../support/stack.js';

/** End to end through the HTTP API on the embedded stack: dynalite, durable log, lake, loader, DuckDB. */
let t: TestStack;
let admin: string;
let producer: string;
let reader: string;

const schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string', format: 'email' },
    score: { type: 'integer', minimum: 0 },
    updated_at: { type: 'string', format: 'date-time' },
    deleted: { type: 'boolean' },
  },
  required: ['id'],
};

type Rows = { layer: string; total: number; records: Record<string, unknown>[] };

async function post(path: string, body: unknown, key = producer, headers: Record<string, string> = {}) {
  return t.call('POST', `/v1/tenants/acme/streams/${path}`, { key, body, headers });
}
async function rows(stream: string, layer: string, key = admin): Promise<Rows> {
  const res = await t.call('GET', `/v1/tenants/acme/streams/${stream}/records?layer=${layer}&limit=1000`, {
    key,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Rows;
}
/** Waits for the loader (1 s-ish buffering) rather than sleeping a fixed time. */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  t = await startTestStack();
  admin = await createTenant(t, 'acme');
  producer = await createKey(t, 'acme', admin, { name: 'p', role: 'producer', streams: ['*'] });
  reader = await createKey(t, 'acme', admin, { name: 'r', role: 'consumer', streams: ['*'] });
  const res = await createStream(t, 'acme', admin, {
    name: 'users',
    schema,
    dedupe: { key: ['id'] },
    entity: { key: ['id'], orderBy: 'updated_at', deleteField: 'deleted' },
    piiFields: ['email'],
  });
  expect(res.status).toBe(201);
});
afterAll(async () => t?.close());

describe('ingest → lake → warehouse layers', () => {
  let firstBatch = '';

  it('accepts valid records, quarantines invalid ones and counts duplicates', async () => {
    const res = await post('users/records', [
      { id: 'u1', email: 'a@x.io', score: 1, updated_at: '2026-01-01T00:00:00Z' },
      { id: 'u2', email: 'b@x.io', score: 5, updated_at: '2026-01-01T00:00:00Z', plan: 'gold' },
      { id: 'u1', email: 'a2@x.io', score: 2, updated_at: '2026-01-02T00:00:00Z' },
      { id: 'u3', score: -1 },
      { email: 'nobody' },
    ]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResult;
    firstBatch = body.batchId;
    expect(body).toMatchObject({ accepted: 3, rejected: 2, duplicates: 1 });
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 3, path: '/score' }),
        expect.objectContaining({ index: 4, path: '/id' }),
      ]),
    );
  });

  it('shows exact counts in raw, deduped and entity, with undeclared fields kept', async () => {
    const raw = await until(
      () => rows('users', 'raw'),
      (r) => r.total === 3,
    );
    expect(raw.total).toBe(3);
    expect(raw.records.find((r) => r.id === 'u2')?.plan).toBe('gold');
    expect(raw.records[0]).toHaveProperty('_id');
    expect(raw.records[0]).toHaveProperty('_batch_id', firstBatch);
    expect(raw.records[0]).toHaveProperty('_schema_version', 1);
    expect(raw.records[0]).toHaveProperty('_received_at');
    const deduped = await rows('users', 'deduped');
    expect(deduped.total).toBe(2);
    expect(deduped.records.find((r) => r.id === 'u1')?.score).toBe(1); // first received wins
    const entity = await rows('users', 'entity');
    expect(entity.total).toBe(2);
    expect(entity.records.find((r) => r.id === 'u1')?.score).toBe(2); // latest by updated_at wins
  });

  it('honours deletes and out-of-order updates in the entity layer', async () => {
    await post('users/records', [
      { id: 'u2', updated_at: '2026-01-05T00:00:00Z', deleted: true },
      { id: 'u1', score: 99, updated_at: '2025-12-01T00:00:00Z' }, // older: must not win
    ]);
    const entity = await until(
      () => rows('users', 'entity'),
      (r) => r.total === 1,
    );
    expect(entity.records.map((r) => r.id)).toEqual(['u1']);
    expect(entity.records[0].score).toBe(2);
    expect((await rows('users', 'raw')).total).toBe(5);
  });

  it('masks PII for keys without pii and shows it to keys with pii', async () => {
    const masked = await rows('users', 'raw', reader);
    expect(masked.records.every((r) => r.email === undefined || r.email === null || r.email === '***')).toBe(
      true,
    );
    const clear = await rows('users', 'raw', admin);
    expect(clear.records.some((r) => r.email === 'a@x.io')).toBe(true);
  });

  it('lists rejections with their errors', async () => {
    const res = await t.call('GET', '/v1/tenants/acme/streams/users/rejections', { key: reader });
    const body = (await until(
      async () =>
        (await (
          await t.call('GET', '/v1/tenants/acme/streams/users/rejections', { key: reader })
        ).json()) as { total: number },
      (b) => b.total === 2,
    )) as {
      total: number;
      rejections: { record: Record<string, unknown>; errors: { path: string }[]; batchId: string }[];
    };
    expect(res.status).toBe(200);
    expect(body.total).toBe(2);
    expect(body.rejections.every((r) => r.batchId === firstBatch)).toBe(true);
    expect(body.rejections.flatMap((r) => r.errors.map((e) => e.path)).sort()).toEqual([
      '/email',
      '/id',
      '/score',
    ]);
  });

  it('follows a batch to loaded with a receipt', async () => {
    const receipt = await until(
      async () =>
        (await (
          await t.call('GET', `/v1/tenants/acme/streams/users/batches/${firstBatch}`, { key: reader })
        ).json()) as Record<string, unknown>,
      (r) => r.state === 'loaded',
    );
    expect(receipt).toMatchObject({ batchId: firstBatch, accepted: 3, rejected: 2, state: 'loaded' });
    expect((receipt.objects as string[]).some((o) => o.startsWith('raw/tenant=acme/stream=users/dt='))).toBe(
      true,
    );
    expect(receipt.loadedAt).toBeDefined();
    const missing = await t.call('GET', '/v1/tenants/acme/streams/users/batches/01ARZ3NDEKTSV4RRFFQ69G5FAV', {
      key: reader,
    });
    expect(missing.status).toBe(404);
  });

  it('reports per-minute metrics, last received and lag', async () => {
    const m = (await (
      await t.call('GET', '/v1/tenants/acme/streams/users/metrics', { key: reader })
    ).json()) as {
      minutes: unknown[];
      totals: Record<string, number>;
      health: string;
      lagSeconds: number;
      lastReceivedAt?: string;
    };
    expect(m.minutes).toHaveLength(60);
    expect(m.totals).toMatchObject({ received: 7, accepted: 5, rejected: 2, duplicates: 3 });
    expect(m.totals.loadedRows).toBeGreaterThanOrEqual(5);
    expect(m.lastReceivedAt).toBeDefined();
    expect(['fresh', 'stale']).toContain(m.health);
  });

  it('returns 422 with the same body when nothing is accepted, and atomic batches store nothing', async () => {
    const none = await post('users/records', [{ id: 1 }]);
    expect(none.status).toBe(422);
    expect(await none.json()).toMatchObject({ accepted: 0, rejected: 1 });
    const atomic = await post('users/records?atomic=true', [{ id: 'ok1' }, { id: 2 }]);
    expect(atomic.status).toBe(422);
    expect(await atomic.json()).toMatchObject({ accepted: 0, rejected: 1 });
    await t.stack.services.delivery.drain();
    expect((await rows('users', 'raw')).records.some((r) => r.id === 'ok1')).toBe(false);
  });

  it('replays an idempotent retry with the same batchId and stores nothing new; a different body is 409', async () => {
    const body = [{ id: 'idem-1' }, { id: 'idem-2' }];
    const headers = { 'idempotency-key': 'retry-123' };
    const first = (await (await post('users/records', body, producer, headers)).json()) as IngestResult;
    const again = await post('users/records', body, producer, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as IngestResult).batchId).toBe(first.batchId);
    const other = await post('users/records', [{ id: 'idem-3' }], producer, headers);
    expect(other.status).toBe(409);
    await t.stack.services.delivery.drain();
    expect((await rows('users', 'raw')).records.filter((r) => String(r.id).startsWith('idem-'))).toHaveLength(
      2,
    );
  });

  it('accepts NDJSON, {records: [...]} and gzip bodies', async () => {
    const ndjson = await t.call('POST', '/v1/tenants/acme/streams/users/records', {
      key: producer,
      raw: '{"id":"n1"}\n{"id":"n2"}\n',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(((await ndjson.json()) as IngestResult).accepted).toBe(2);
    const wrapped = await post('users/records', { records: [{ id: 'w1' }] });
    expect(((await wrapped.json()) as IngestResult).accepted).toBe(1);
    const gz = await t.call('POST', '/v1/tenants/acme/streams/users/records', {
      key: producer,
      raw: gzipSync(JSON.stringify([{ id: 'g1' }, { id: 'g2' }])),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(((await gz.json()) as IngestResult).accepted).toBe(2);
  });

  it('loads each record as it was validated, however it was written', async () => {
    const created = await createStream(t, 'acme', admin, {
      name: 'shapes',
      schema: {
        type: 'object',
        properties: { id: { type: 'string' }, n: { type: 'integer', minimum: 0 }, meta: { type: 'object' } },
        required: ['id', 'n'],
      },
    });
    expect(created.status).toBe(201);
    const url = '/v1/tenants/acme/streams/shapes/records';
    // Duplicate keys: the last value wins, as JSON.parse (and so the validator) saw it.
    const json = await t.call('POST', url, {
      key: producer,
      raw: [
        '[',
        '  {"id": "s1", "n": 1},',
        '  {"id":"s2","n":-7,"n":7},',
        '  {"id":"s3","n":3,"meta":{"a":1,"a":2}},',
        '  {"id":"s\u0034","n":4},',
        '  {"id":"s5",',
        '   "n":5},',
        '  {"id":"s6","n":6,"plan":"gold"}',
        ']',
      ].join('\n'),
      headers: { 'content-type': 'application/json' },
    });
    expect(await json.json()).toMatchObject({ accepted: 6, rejected: 0 });
    const ndjson = await t.call('POST', url, {
      key: producer,
      raw: '{"id":"s7","n":7}\r\n{"id":"s8",\r"n":8}\n{"id":"s9","n":9,"n":-9}\n',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(await ndjson.json()).toMatchObject({ accepted: 2, rejected: 1 });

    const raw = await until(
      () => rows('shapes', 'raw'),
      (r) => r.total === 8,
    );
    expect(raw.total).toBe(8);
    const byId = new Map(raw.records.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']);
    expect(Object.fromEntries([...byId].map(([id, r]) => [id, r.n]))).toEqual({
      s1: 1,
      s2: 7,
      s3: 3,
      s4: 4,
      s5: 5,
      s6: 6,
      s7: 7,
      s8: 8,
    });
    expect(byId.get('s3')?.meta).toEqual({ a: 2 });
    expect(byId.get('s6')?.plan).toBe('gold');
  });

  it('evolves the schema: new column before new records are acknowledged, old rows keep NULL', async () => {
    const evolved = { ...schema, properties: { ...schema.properties, tier: { type: 'string' } } };
    expect(
      (await t.call('PATCH', '/v1/tenants/acme/streams/users', { key: admin, body: { schema: evolved } }))
        .status,
    ).toBe(200);
    const res = await post('users/records', [{ id: 'v2user', tier: 'pro' }]);
    expect(res.status).toBe(200);
    const raw = await until(
      () => rows('users', 'raw'),
      (r) => r.records.some((x) => x.id === 'v2user'),
    );
    const v2 = raw.records.find((x) => x.id === 'v2user')!;
    expect(v2).toMatchObject({ tier: 'pro', _schema_version: 2 });
    expect(raw.records.find((x) => x.id === 'u2')?.tier ?? null).toBeNull();
  });
});
