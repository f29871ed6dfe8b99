import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../api/domain/records/types.js';
import {
  applyInOrder,
  customersSchema,
  enveloped,
  random,
  shuffled,
  SourceTable,
  type ChangeEventValue,
  type Customer,
  type Flavor,
} from '../support/debezium.js';
import { createKey, createStream, createTenant, startTestStack, type TestStack } from '../support/stack.js';

/**
 * Debezium change events through the HTTP API on the embedded stack (dynalite, durable log, lake,
 * DuckDB): a snapshot, updates, deletes, re-creates, a connector restart that redelivers the last 100
 * events, all arriving shuffled. The entity layer must equal the source table, exactly.
 */
let t: TestStack;
let admin: string;
let producer: string;

type Rows = { total: number; records: Record<string, unknown>[] };

async function rows(stream: string, layer: string): Promise<Rows> {
  const res = await t.call('GET', `/v1/tenants/acme/streams/${stream}/records?layer=${layer}&limit=10000`, {
    key: admin,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Rows;
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends events as Debezium Server might: JSON arrays, NDJSON, and one event per request, in turn. */
async function send(stream: string, events: unknown[]): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  let i = 0;
  let shape = 0;
  while (i < events.length) {
    const kind = shape++ % 3;
    const size = kind === 2 ? 1 : 23 + (shape % 17);
    const chunk = events.slice(i, i + size);
    i += chunk.length;
    const path = `/v1/tenants/acme/streams/${stream}/records`;
    const res =
      kind === 0
        ? await t.call('POST', path, { key: producer, body: chunk })
        : kind === 1
          ? await t.call('POST', path, {
              key: producer,
              raw: chunk.map((e) => JSON.stringify(e)).join('\n'),
              headers: { 'content-type': 'application/x-ndjson' },
            })
          : await t.call('POST', path, {
              key: producer,
              raw: JSON.stringify(chunk[0]),
              headers: { 'content-type': 'application/json' },
            });
    expect(res.status, await res.clone().text()).toBe(200);
    results.push((await res.json()) as IngestResult);
  }
  return results;
}

/** A seeded history: snapshot, inserts, updates (some in one transaction), deletes and re-creates. */
function history(flavor: Flavor, seed: number): SourceTable {
  const rand = random(seed);
  const src = new SourceTable(flavor);
  const person = (id: number, n: number): Customer => ({
    id,
    first_name: `First${id}-${n}`,
    last_name: n % 4 === 0 ? null : `Last${id}`,
    email: `c${id}.${n}@example.com`,
  });
  src.snapshot(Array.from({ length: 40 }, (_, i) => person(1001 + i, 0)));
  let nextId = 1041;
  const deleted: number[] = [];
  for (let step = 1; step <= 320; step++) {
    const live = [...src.rows.keys()];
    const pick = () => live[Math.floor(rand() * live.length)];
    const roll = rand();
    if (step % 97 === 0 && flavor === 'mysql') src.rotate();
    if (roll < 0.5) src.update(pick(), { first_name: `First-${step}`, email: `u${step}@example.com` });
    else if (roll < 0.62) src.insert(person(nextId++, step));
    else if (roll < 0.75 && live.length > 10) {
      const id = pick();
      src.delete(id);
      deleted.push(id);
    } else if (roll < 0.87 && deleted.length > 0) {
      const id = deleted.splice(Math.floor(rand() * deleted.length), 1)[0];
      src.insert(person(id, step));
    } else {
      src.updateMany([
        [pick(), { last_name: `Tx${step}a` }],
        [pick(), { last_name: `Tx${step}b` }],
        [pick(), { last_name: `Tx${step}c` }],
      ]);
    }
  }
  // Make sure the sequence holds each case, whatever the seed: a delete, then a re-create, then an update.
  const id = [...src.rows.keys()][0];
  src.delete(id);
  src.insert(person(id, 999));
  src.update(id, { email: 'recreated@example.com' });
  return src;
}

const declared = (r: Partial<Record<keyof Customer, unknown>>) => ({
  id: r.id,
  first_name: r.first_name ?? null,
  last_name: r.last_name ?? null,
  email: r.email ?? null,
});
const byId = (a: { id: unknown }, b: { id: unknown }) => Number(a.id) - Number(b.id);

beforeAll(async () => {
  t = await startTestStack();
  admin = await createTenant(t, 'acme');
  producer = await createKey(t, 'acme', admin, { name: 'p', role: 'producer', streams: ['*'] });
});
afterAll(async () => t?.close());

describe.each([
  { flavor: 'mysql' as const, stream: 'mysql_customers', sourcePosition: 'pos', wrap: true, seed: 13 },
  { flavor: 'postgres' as const, stream: 'pg_customers', sourcePosition: 'lsn', wrap: false, seed: 31 },
])('Debezium $flavor change events', ({ flavor, stream, sourcePosition, wrap, seed }) => {
  const src = history(flavor, seed);
  const events = src.log.filter((e): e is ChangeEventValue => e !== null);
  const tombstones = src.log.length - events.length;
  // A connector restart redelivers from its last committed offset: here, the last 100 events again.
  const redelivered = src.log.slice(-100);
  const arrival = shuffled([...src.log, ...redelivered], random(seed + 1));
  const asSent = arrival.map((e) => (wrap ? enveloped(e, flavor) : e));

  it('creates a cdc stream whose entity key defaults to the dedupe key', async () => {
    const res = await createStream(t, 'acme', admin, {
      name: stream,
      schema: customersSchema,
      dedupe: { key: ['id'] },
      cdc: { format: 'debezium', sourcePosition },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      cdc: { format: 'debezium', sourcePosition },
      dedupe: { key: ['id'] },
      entity: { key: ['id'] },
    });
  });

  it('makes the entity layer equal the source table after shuffled, redelivered changes', async () => {
    // The shuffle must really put a snapshot row after a streamed change of the same row, and an
    // update after the delete that follows it in source order.
    const lateSnapshot = arrival.some(
      (e, i) =>
        e?.op === 'r' && arrival.slice(0, i).some((x) => x?.op === 'u' && x.after!.id === e.after!.id),
    );
    expect(lateSnapshot).toBe(true);

    const results = await send(stream, asSent);
    const sum = (f: (r: IngestResult) => number) => results.reduce((n, r) => n + f(r), 0);
    expect(sum((r) => r.rejected)).toBe(0);
    expect(sum((r) => r.accepted)).toBe(events.length + redelivered.filter((e) => e !== null).length);
    expect(sum((r) => r.tombstones ?? 0)).toBe(tombstones + redelivered.filter((e) => e === null).length);
    // Every redelivered change repeats a key and source position already sent.
    expect(sum((r) => r.duplicates)).toBe(redelivered.filter((e) => e !== null).length);

    const stored = events.length + redelivered.filter((e) => e !== null).length;
    const raw = await until(
      () => rows(stream, 'raw'),
      (r) => r.total === stored,
    );
    expect(raw.total).toBe(stored);

    const expected = [...applyInOrder(src.log).values()].map(declared).sort(byId);
    // The test's own replay and the simulated table agree, so the expectation is the table's state.
    expect(expected).toEqual([...src.rows.values()].map(declared).sort(byId));
    const entity = await rows(stream, 'entity');
    expect(entity.records.map(declared).sort(byId)).toEqual(expected);
    expect(entity.records.every((r) => r._op !== 'd')).toBe(true);

    // Deduped keeps one copy of each change: the redeliveries are gone.
    const deduped = await rows(stream, 'deduped');
    expect(deduped.total).toBe(events.length);
  });

  it('stores the op, source time, a sortable source position and the source block', async () => {
    const raw = await rows(stream, 'raw');
    const last = events[events.length - 1];
    const position =
      flavor === 'mysql'
        ? BigInt(/\.(\d+)$/.exec(last.source.file as string)![1]) * 10n ** 28n +
          BigInt(last.source.pos as number) * 10n ** 8n +
          BigInt(last.source.row as number)
        : BigInt(last.source.lsn as number);
    const copies = raw.records.filter((r) => String(r._source_position) === position.toString());
    // The change itself and its redelivery after the restart.
    expect(copies).toHaveLength(2);
    const row = copies[0];
    expect(row).toMatchObject({ id: last.after!.id, _op: 'u' });
    expect(row._source_ts).toBe(new Date(last.source.ts_ms as number).toISOString());
    const source = row._source as Record<string, unknown>;
    expect(source).toMatchObject({
      table: 'customers',
      connector: flavor === 'mysql' ? 'mysql' : 'postgresql',
    });
    if (flavor === 'mysql') {
      expect(source).toMatchObject({
        server_id: 223344,
        gtid: null,
        file: last.source.file,
        pos: last.source.pos,
      });
    } else {
      expect(source).toMatchObject({ lsn: last.source.lsn, txId: last.source.txId });
    }
    // Positions sort in source order, whatever order the events arrived in.
    const ordered = [...raw.records]
      .filter((r) => r.id === last.after!.id)
      .sort((a, b) => (BigInt(a._source_position as string) < BigInt(b._source_position as string) ? -1 : 1));
    expect(ordered.at(-1)).toMatchObject({ _op: 'u', email: 'recreated@example.com' });
  });

  it('counts changes by op and tombstones in the stream metrics', async () => {
    const res = await t.call('GET', `/v1/tenants/acme/streams/${stream}/metrics?minutes=5`, { key: admin });
    expect(res.status).toBe(200);
    const { totals } = (await res.json()) as { totals: Record<string, number> };
    const count = (op: string) => [...src.log, ...redelivered].filter((e) => e?.op === op).length;
    expect(totals).toMatchObject({
      cdcCreates: count('c'),
      cdcUpdates: count('u'),
      cdcDeletes: count('d'),
      cdcReads: count('r'),
      cdcTombstones: [...src.log, ...redelivered].filter((e) => e === null).length,
    });
  });
});

describe('cdc envelope and spec errors', () => {
  it('quarantines an event with a wrong envelope, naming what is missing', async () => {
    await createStream(t, 'acme', admin, {
      name: 'bad_events',
      schema: customersSchema,
      entity: { key: ['id'] },
      cdc: { format: 'debezium' },
    });
    const src = new SourceTable('postgres');
    src.insert({ id: 1, first_name: 'A', last_name: 'B', email: 'a@example.com' });
    const good = src.log[0]!;
    const noOp = { schema: null, payload: { ...good, op: undefined } };
    const noSource = { ...good, source: undefined };
    const badRow = { ...good, after: { ...good.after, email: 'not-an-email' } };
    const noLsn = { ...good, source: { ...good.source, lsn: undefined, file: undefined }, op: 'c' };
    const deleteWithoutBefore = { ...good, op: 'd', before: null };
    const res = await t.call('POST', '/v1/tenants/acme/streams/bad_events/records', {
      key: producer,
      body: [noOp, noSource, badRow, deleteWithoutBefore, good, null],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResult;
    expect(body).toMatchObject({ accepted: 1, rejected: 4, tombstones: 1 });
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { index: 0, path: '/payload/op', message: 'required' },
        { index: 1, path: '/source', message: 'required' },
        expect.objectContaining({ index: 2, path: '/after/email' }),
        { index: 3, path: '/before', message: 'required for op d' },
      ]),
    );
    // Without lsn or binlog coordinates the position falls back to ts_ms when none was configured.
    const fallback = await t.call('POST', '/v1/tenants/acme/streams/bad_events/records', {
      key: producer,
      body: [noLsn],
    });
    expect(fallback.status).toBe(200);
    const rejects = await until(
      async () => {
        const r = await t.call('GET', '/v1/tenants/acme/streams/bad_events/rejections?limit=10', {
          key: admin,
        });
        return (await r.json()) as {
          total: number;
          rejections: Array<{ errors: unknown[]; record: unknown }>;
        };
      },
      (r) => r.total === 4,
    );
    expect(rejects.total).toBe(4);
    expect(rejects.rejections.map((r) => r.errors)).toContainEqual([
      { path: '/payload/op', message: 'required' },
    ]);
  });

  it('lets a streamed change beat a snapshot read at the same position, whatever their times', async () => {
    await createStream(t, 'acme', admin, {
      name: 'tie_events',
      schema: customersSchema,
      dedupe: { key: ['id'] },
      cdc: { format: 'debezium', sourcePosition: 'lsn' },
    });
    const source = (tsMs: number) => ({ connector: 'postgresql', table: 'customers', ts_ms: tsMs, lsn: 500 });
    const streamed = { id: 7, first_name: 'Streamed', last_name: null, email: null };
    const snapshot = { id: 7, first_name: 'Snapshot', last_name: null, email: null };
    // The snapshot read was taken later by the clock, and arrives later, at the position streaming resumes from.
    for (const event of [
      { before: null, after: streamed, source: source(1_000), op: 'u', ts_ms: 1 },
      { before: null, after: snapshot, source: { ...source(2_000), snapshot: 'true' }, op: 'r', ts_ms: 2 },
    ]) {
      const res = await t.call('POST', '/v1/tenants/acme/streams/tie_events/records', {
        key: producer,
        body: [event],
      });
      expect(res.status).toBe(200);
    }
    const raw = await until(
      () => rows('tie_events', 'raw'),
      (r) => r.total === 2,
    );
    expect(raw.total).toBe(2);
    const entity = await rows('tie_events', 'entity');
    expect(entity.records.map(declared)).toEqual([streamed]);
  });

  it('takes a lone null body as a tombstone and answers 200 with nothing stored', async () => {
    const res = await t.call('POST', '/v1/tenants/acme/streams/bad_events/records', {
      key: producer,
      raw: 'null',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 0, rejected: 0, tombstones: 1 });
  });

  it('requires a position field when sourcePosition is set', async () => {
    await createStream(t, 'acme', admin, {
      name: 'lsn_events',
      schema: customersSchema,
      dedupe: { key: ['id'] },
      cdc: { format: 'debezium', sourcePosition: 'lsn' },
    });
    const mysql = new SourceTable('mysql');
    mysql.insert({ id: 1, first_name: 'A', last_name: 'B', email: 'a@example.com' });
    const res = await t.call('POST', '/v1/tenants/acme/streams/lsn_events/records', {
      key: producer,
      body: [mysql.log[0]],
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as IngestResult).errors).toEqual([
      { index: 0, path: '/source/lsn', message: 'required: a non-negative integer (sourcePosition is lsn)' },
    ]);
  });

  it('names entity.key when a cdc stream has no key, and refuses orderBy and deleteField', async () => {
    const noKey = await createStream(t, 'acme', admin, {
      name: 'nokey',
      schema: customersSchema,
      cdc: { format: 'debezium' },
    });
    expect(noKey.status).toBe(400);
    const problem = (await noKey.json()) as { errors: Array<{ path: string; message: string }> };
    expect(problem.errors).toEqual([
      { path: 'entity.key', message: 'required in a cdc stream (or dedupe.key, which it defaults to)' },
    ]);
    const ordered = await createStream(t, 'acme', admin, {
      name: 'ordered',
      schema: {
        ...customersSchema,
        properties: { ...customersSchema.properties, gone: { type: 'boolean' } },
      },
      entity: { key: ['id'], orderBy: 'id', deleteField: 'gone' },
      cdc: { format: 'debezium' },
    });
    expect(ordered.status).toBe(400);
    const paths = ((await ordered.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path);
    expect(paths).toEqual(['entity.orderBy', 'entity.deleteField']);
  });

  it('keeps cdc immutable after creation', async () => {
    const res = await t.call('PATCH', '/v1/tenants/acme/streams/bad_events', {
      key: admin,
      body: { cdc: { format: 'debezium', sourcePosition: 'lsn' } },
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: Array<{ path: string }> };
    expect(problem.errors.map((e) => e.path)).toEqual(['body.cdc']);
  });
});
