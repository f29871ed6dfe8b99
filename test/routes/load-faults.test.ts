import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { batchOfLines } from '../support/ndjson.js';
import { createKey, createStream, createTenant, startTestStack, type TestStack } from '../support/stack.js';

/**
 * Faults on the local data path, through the real stack (log, lake, loader, DuckDB) and the HTTP API:
 * lines the warehouse refuses, and a tenant database file that is replaced, corrupt or removed.
 */

const schema = {
  type: 'object',
  properties: { id: { type: 'string' }, amount: { type: 'integer' } },
  required: ['id'],
};

interface Receipt {
  state: string;
  objects: string[];
  loadFailed?: number;
}
interface StreamMetrics {
  totals: { loadedRows: number; loadFailed: number; loadErrors: number };
  oldestUnloadedAgeSeconds: number;
  loadState: string;
  loadStateDetail: string;
  lastLoadError?: { message: string };
  loadFailure?: { kind: string; attempts: number };
}
interface Ready {
  ready: boolean;
  checks: { loading: string };
  streams?: Array<{ tenant: string; stream: string; loadState: string; reason: string }>;
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in time; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('load faults on the local stack', () => {
  let t: TestStack | undefined;
  let admin = '';
  let producer = '';
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function setUp(env: Record<string, string> = {}): Promise<TestStack> {
    t = await startTestStack(env);
    admin = await createTenant(t, 'acme');
    producer = await createKey(t, 'acme', admin, { name: 'p', role: 'producer', streams: ['*'] });
    const res = await createStream(t, 'acme', admin, {
      name: 'orders',
      schema,
      buffering: { intervalSeconds: 1, sizeMiB: 5 },
    });
    expect(res.status).toBe(201);
    return t;
  }

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await t!.call('GET', path, { key: admin });
    return { status: res.status, body: (await res.json()) as T };
  };
  const receipt = (batchId: string) => get<Receipt>(`/v1/tenants/acme/streams/orders/batches/${batchId}`);
  const metrics = () => get<StreamMetrics>('/v1/tenants/acme/streams/orders/metrics');
  const ready = () => get<Ready>('/ready');
  const ingest = async (records: unknown[]): Promise<string> => {
    const res = await t!.call('POST', '/v1/tenants/acme/streams/orders/records', {
      key: producer,
      body: records,
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { batchId: string }).batchId;
  };
  const total = async (layer: string) =>
    (await get<{ total: number }>(`/v1/tenants/acme/streams/orders/records?layer=${layer}&limit=1`)).body
      .total;

  it('loads the good lines of an object around its bad ones, quarantines those as load_failed, and blocks nothing', async () => {
    const first = await setUp();
    // Bad lines written straight into the log (and so into the lake), as a buggy or older ingest might
    // have: DuckDB refuses a lone surrogate, a truncated line and a value its column cannot take.
    const batchId = first.stack.services.ingest.nextBatchId();
    const receivedAt = new Date().toISOString();
    const line = (index: number, record: Record<string, unknown>) =>
      JSON.stringify({
        _tenant: 'acme',
        _stream: 'orders',
        _id: `${batchId}-${index}`,
        _batch_id: batchId,
        _index: index,
        _received_at: receivedAt,
        _schema_version: 1,
        record,
      });
    const lines = [
      line(0, { id: 'g0', amount: 1 }),
      line(1, { id: 'LONE', amount: 2 }).replace('LONE', '\\ud800'),
      line(2, { id: 'g2', amount: 3 }),
      line(3, { id: 'cut', amount: 4 }).slice(0, 160),
      line(4, { id: 'g4', amount: 5 }),
      line(5, { id: 'cast', amount: 'lots' }),
      line(6, { id: 'g6', amount: 7 }),
    ];
    const before = await ingest([{ id: 'other-1', amount: 1 }]);
    await first.stack.services.delivery.append(
      batchOfLines(
        {
          tenant: 'acme',
          stream: 'orders',
          batchId,
          receivedAt,
          buffering: { intervalSeconds: 1, sizeMiB: 5 },
        },
        lines,
        [],
      ),
    );

    const loaded = await until(
      () => receipt(batchId),
      (r) => r.body.state === 'loaded',
    );
    expect(loaded.body).toMatchObject({ state: 'loaded', loadFailed: 3 });
    // The good batch shared the bad batch's object, and was not held back by it.
    const other = await until(
      () => receipt(before),
      (r) => r.body.state === 'loaded',
    );
    expect(other.body.loadFailed).toBe(0);
    expect(other.body.objects).toEqual(loaded.body.objects);

    const raw = await get<{ records: Array<{ id: string }> }>(
      '/v1/tenants/acme/streams/orders/records?layer=raw&limit=100',
    );
    expect(raw.body.records.map((r) => r.id).sort()).toEqual(['g0', 'g2', 'g4', 'g6', 'other-1']);

    const rejections = await get<{
      total: number;
      rejections: Array<{
        reason: string;
        index: number;
        batchId: string;
        record: unknown;
        errors: { message: string }[];
      }>;
    }>('/v1/tenants/acme/streams/orders/rejections');
    expect(rejections.body.total).toBe(3);
    const byIndex = new Map(rejections.body.rejections.map((r) => [r.index, r]));
    expect([...byIndex.keys()].sort()).toEqual([1, 3, 5]);
    for (const r of rejections.body.rejections) {
      expect(r.reason).toBe('load_failed');
      expect(r.batchId).toBe(batchId);
      expect(r.record).toBe(lines[r.index]);
    }
    expect(byIndex.get(1)!.errors[0].message).toMatch(/surrogate/);
    expect(byIndex.get(3)!.errors[0].message).toMatch(/Malformed JSON/);
    expect(byIndex.get(5)!.errors[0].message).toMatch(/Failed to cast/);

    const m = await until(metrics, (x) => x.body.totals.loadFailed === 3);
    expect(m.body).toMatchObject({ loadState: 'ok', oldestUnloadedAgeSeconds: 0 });
    expect(m.body.totals.loadedRows).toBe(5);

    // Later windows load as usual, and the node is ready.
    const after = await ingest([{ id: 'other-2', amount: 2 }]);
    await until(
      () => receipt(after),
      (r) => r.body.state === 'loaded',
    );
    expect(await total('raw')).toBe(6);
    expect((await ready()).status).toBe(200);

    // After a restart the receipt is rebuilt from the receipts index and the load history: same count.
    await first.stack.close();
    onTestFinished(() => rm(first.dir, { recursive: true, force: true }));
    t = await startTestStack({ TRIBUTARY_DATA_DIR: first.dir });
    expect((await receipt(batchId)).body).toMatchObject({ state: 'loaded', loadFailed: 3 });
    expect((await receipt(before)).body).toMatchObject({ state: 'loaded', loadFailed: 0 });
  });

  it('a database file replaced by garbage while running: a clear error, /ready degraded, nothing quarantined, recovery once it is removed', async () => {
    const t = await setUp();
    const first = await ingest([{ id: 'a', amount: 1 }]);
    await until(
      () => receipt(first),
      (r) => r.body.state === 'loaded',
    );
    expect((await ready()).status).toBe(200);

    const file = join(t.dir, 'warehouse', 'acme.duckdb');
    await writeFile(`${file}.garbage`, Buffer.alloc(256 * 1024, 0x5a));
    await rename(`${file}.garbage`, file);

    const second = await ingest([{ id: 'b', amount: 2 }]);
    const failing = await until(metrics, (x) => (x.body.loadFailure?.attempts ?? 0) >= 2);
    expect(failing.body.loadState).toBe('degraded');
    expect(failing.body.loadFailure?.kind).toBe('dependency');
    expect(failing.body.lastLoadError?.message).toMatch(/not a valid DuckDB database file/);
    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(notReady.body.ready).toBe(false);
    expect(notReady.body.streams).toEqual([
      expect.objectContaining({ tenant: 'acme', stream: 'orders', loadState: 'degraded' }),
    ]);
    expect(notReady.body.checks.loading).toMatch(/^acme\/orders degraded: dependency error/);
    expect((await receipt(second)).body.state).toBe('delivered');
    // No crash loop: the API still answers, and ingest still acknowledges into the durable log.
    const third = await ingest([{ id: 'c', amount: 3 }]);

    await rm(file);
    await rm(`${file}.wal`, { force: true });
    for (const id of [second, third]) {
      const r = await until(
        () => receipt(id),
        (x) => x.body.state === 'loaded',
        60_000,
      );
      expect(r.body.loadFailed).toBe(0);
    }
    const recovered = await until(metrics, (x) => x.body.loadState === 'ok');
    expect(recovered.body.totals.loadFailed).toBe(0);
    expect((await ready()).status).toBe(200);
    expect((await get<{ total: number }>('/v1/tenants/acme/streams/orders/rejections')).body.total).toBe(0);
    expect(await readdir(join(t.dir, 'warehouse'))).toContain('acme.duckdb');
    // The new file was filled again from the lake: the first batch is back, nothing is doubled.
    expect(
      await until(
        () => total('raw'),
        (n) => n >= 3,
      ),
    ).toBe(3);
    await new Promise((r) => setTimeout(r, 500));
    expect(await total('raw')).toBe(3);
  }, 90_000);

  it('a database file that is garbage before start: the node starts, reports the error, and loads once it is removed', async () => {
    let stack = await setUp();
    const dir = stack.dir;
    const first = await ingest([{ id: 'a', amount: 1 }]);
    await until(
      () => receipt(first),
      (r) => r.body.state === 'loaded',
    );
    await stack.stack.close();
    const file = join(dir, 'warehouse', 'acme.duckdb');
    await rm(`${file}.wal`, { force: true });
    await writeFile(file, Buffer.alloc(256 * 1024, 0x5a));

    // A second stack on the same data (its own temp dir stays empty; this one is removed below).
    t = stack = await startTestStack({ TRIBUTARY_DATA_DIR: dir });
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const second = await ingest([{ id: 'b', amount: 2 }]);
    const failing = await until(metrics, (x) => (x.body.loadFailure?.attempts ?? 0) >= 1);
    expect(failing.body.lastLoadError?.message).toMatch(/not a valid DuckDB database file/);
    expect((await ready()).status).toBe(503);

    await rm(file);
    await until(
      () => receipt(second),
      (r) => r.body.state === 'loaded',
      60_000,
    );
    expect((await get<{ total: number }>('/v1/tenants/acme/streams/orders/rejections')).body.total).toBe(0);
    expect(
      await until(
        () => total('raw'),
        (n) => n >= 2,
      ),
    ).toBe(2);
  }, 90_000);
});
