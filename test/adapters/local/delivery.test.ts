import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDelivery, type LocalDeliveryOptions } from '../../../api/adapters/local/index.js';
import { DependencyUnavailableError, OverloadedError } from '../../../api/domain/errors.js';
import type { IngestBatch } from '../../../api/ports.js';
import {
  FileLoadTarget,
  listFiles,
  makeBatch,
  silentLogger,
  SumMetrics,
  tempDir,
  testDeliveryDefaults,
  testStream,
  waitFor,
} from './support.js';
import { linesOf } from '../../support/ndjson.js';

const KEY =
  /^(raw|quarantine)\/tenant=acme\/stream=(orders|clicks)\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/\2-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d+-\d+\.ndjson$/;

describe('LocalDelivery', () => {
  let root: string;
  const open: LocalDelivery[] = [];

  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  async function start(
    over: Partial<LocalDeliveryOptions> & { target?: FileLoadTarget; metrics?: SumMetrics } = {},
  ) {
    const target = over.target ?? new FileLoadTarget(path.join(root, 'wh'));
    const metrics = over.metrics ?? new SumMetrics();
    const d = new LocalDelivery({
      ...testDeliveryDefaults,
      dataDir: path.join(root, 'data'),
      getStream: async (t, s) => testStream(t, s),
      logger: silentLogger,
      highWatermarkBytes: 64 * 1024 * 1024,
      gzip: false,
      retryBaseMs: 5,
      retryMaxMs: 40,
      refreshRetryMs: 40,
      drainTimeoutMs: 20_000,
      ...over,
      target,
      metrics,
    });
    open.push(d);
    await d.start();
    return { d, target, metrics };
  }

  async function stop(d: LocalDelivery): Promise<void> {
    open.splice(open.indexOf(d), 1);
    await d.close();
  }

  const lakeKeys = async () =>
    (await listFiles(path.join(root, 'data', 'lake'))).filter((k) => !k.startsWith('.'));

  function expectedIds(batches: IngestBatch[]): string[] {
    return batches
      .flatMap((b) => [
        ...linesOf(b.records).map((_, i) => `${b.batchId}-${i}`),
        ...linesOf(b.rejects).map((r) => {
          const q = JSON.parse(r) as { _index: number };
          return `q:${b.batchId}:${q._index}`;
        }),
      ])
      .sort();
  }

  it('flushes after the buffering interval into Firehose-style raw and quarantine objects, then loads them', async () => {
    const { d, target, metrics } = await start();
    const a = makeBatch({ n: 3, rejects: 2, intervalSeconds: 0.05 });
    const b = makeBatch({ n: 2, intervalSeconds: 0.05 });
    await Promise.all([d.append(a), d.append(b)]);
    await waitFor(async () => (await target.history()).length === 2);
    const keys = await lakeKeys();
    expect(keys).toHaveLength(2);
    for (const k of keys) expect(k).toMatch(KEY);
    const raw = keys.find((k) => k.startsWith('raw/'))!;
    expect(await fs.readFile(path.join(root, 'data', 'lake', raw), 'utf8')).toBe(
      Buffer.concat([a.records, b.records]).toString('utf8'),
    );
    const quarantine = keys.find((k) => k.startsWith('quarantine/'))!;
    expect(await fs.readFile(path.join(root, 'data', 'lake', quarantine), 'utf8')).toBe(
      a.rejects.toString('utf8'),
    );
    expect((await target.loadedIds()).sort()).toEqual(expectedIds([a, b]));

    await waitFor(async () => (await d.status('acme', 'orders')).pendingRecords === 0);
    const status = await d.status('acme', 'orders');
    expect(status.oldestUnloadedAt).toBeUndefined();
    expect(status.lastDeliveredAt).toBeDefined();
    expect(status.lastLoadedAt).toBeDefined();
    expect(status.lastLoadError).toBeUndefined();
    expect(metrics.get('acme', 'orders', 'deliveredObjects')).toBe(2);
    expect(metrics.get('acme', 'orders', 'deliveredBytes')).toBe(
      (await fs.stat(path.join(root, 'data', 'lake', raw))).size +
        (await fs.stat(path.join(root, 'data', 'lake', quarantine))).size,
    );
    expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(5); // raw rows only: quarantine loads are not counted

    const receipt = await d.receipt('acme', 'orders', a.batchId);
    expect(receipt).toMatchObject({
      batchId: a.batchId,
      receivedAt: a.receivedAt,
      accepted: 3,
      rejected: 2,
      state: 'loaded',
    });
    expect(receipt?.objects.sort()).toEqual([quarantine, raw].sort());
    expect(receipt?.loadedAt).toBeDefined();
    expect(await d.receipt('acme', 'orders', 'nope')).toBeUndefined();
  });

  it('flushes a buffer as soon as it passes sizeMiB, and reports what is still buffered', async () => {
    const { d, target } = await start();
    const sizeMiB = 4096 / (1024 * 1024);
    const batches = Array.from({ length: 12 }, () =>
      makeBatch({ n: 4, pad: 200, sizeMiB, intervalSeconds: 3600 }),
    );
    for (const b of batches) await d.append(b);
    await waitFor(async () => (await target.history()).length >= 2);
    const keys = await lakeKeys();
    for (const k of keys) {
      expect(k).toMatch(KEY);
      expect((await fs.stat(path.join(root, 'data', 'lake', k))).size).toBeGreaterThanOrEqual(4096);
    }
    const last = makeBatch({ n: 1, sizeMiB, intervalSeconds: 3600 });
    await d.append(last);
    expect(await d.receipt('acme', 'orders', last.batchId)).toMatchObject({
      state: 'buffered',
      objects: [],
      accepted: 1,
    });
    const status = await d.status('acme', 'orders');
    expect(status.pendingRecords).toBeGreaterThanOrEqual(1);
    expect(status.oldestUnloadedAt! <= last.receivedAt).toBe(true);
    await d.drain();
    expect((await target.loadedIds()).sort()).toEqual(expectedIds([...batches, last]));
    expect((await d.receipt('acme', 'orders', last.batchId))?.state).toBe('loaded');
  });

  it('answers OverloadedError above the high watermark without acknowledging, and recovers after drain', async () => {
    const { d, target } = await start({ highWatermarkBytes: 4000 });
    const acked: IngestBatch[] = [];
    let overloaded: unknown;
    for (let i = 0; i < 50 && !overloaded; i++) {
      const b = makeBatch({ n: 2, pad: 300, intervalSeconds: 3600 });
      try {
        await d.append(b);
        acked.push(b);
      } catch (err) {
        overloaded = err;
      }
    }
    expect(overloaded).toBeInstanceOf(OverloadedError);
    expect((overloaded as OverloadedError).retryAfterSeconds).toBeGreaterThan(0);
    expect(d.pressure().ok).toBe(false);
    await d.drain();
    expect(d.pressure().ok).toBe(true);
    const more = makeBatch({ n: 1, intervalSeconds: 3600 });
    await d.append(more);
    await d.drain();
    expect((await target.loadedIds()).sort()).toEqual(expectedIds([...acked, more]));
  });

  it('retries failed loads with backoff, counts and surfaces the error, and never reports them loaded', async () => {
    const target = new FileLoadTarget(path.join(root, 'wh'));
    target.failures = 1_000_000;
    const { d, metrics } = await start({ target });
    const b = makeBatch({ n: 3 });
    await d.append(b);
    const draining = d.drain().catch((e: unknown) => e);
    await waitFor(() => metrics.get('acme', 'orders', 'loadErrors') >= 3);
    const status = await d.status('acme', 'orders');
    expect(status.lastLoadError).toMatchObject({ message: 'warehouse unavailable' });
    expect(status.lastLoadError?.object).toMatch(KEY);
    expect(status.pendingRecords).toBe(3);
    expect(status.oldestUnloadedAt).toBe(b.receivedAt);
    expect(await d.receipt('acme', 'orders', b.batchId)).toMatchObject({ state: 'delivered' });
    expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(0);
    target.failures = 0;
    expect(await draining).toBeUndefined();
    expect(await d.receipt('acme', 'orders', b.batchId)).toMatchObject({ state: 'loaded' });
    expect((await d.status('acme', 'orders')).pendingRecords).toBe(0);
    expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(3);
  });

  it('drain gives up after its timeout with DependencyUnavailableError', async () => {
    const target = new FileLoadTarget(path.join(root, 'wh'));
    target.failures = 1_000_000;
    const { d } = await start({ target, drainTimeoutMs: 100 });
    await d.append(makeBatch());
    await expect(d.drain()).rejects.toBeInstanceOf(DependencyUnavailableError);
  });

  it('drain publishes and loads every stream', async () => {
    const { d, target } = await start({ gzip: true });
    const batches = [
      makeBatch({ stream: 'orders', n: 5, rejects: 1, intervalSeconds: 3600 }),
      makeBatch({ stream: 'clicks', n: 7, intervalSeconds: 3600 }),
      makeBatch({ stream: 'orders', n: 2, intervalSeconds: 3600 }),
    ];
    await Promise.all(batches.map((b) => d.append(b)));
    expect(await lakeKeys()).toEqual([]);
    await d.drain();
    const keys = await lakeKeys();
    expect(keys).toHaveLength(3);
    for (const k of keys) expect(k).toMatch(/\.ndjson\.gz$/);
    expect((await target.loadedIds()).sort()).toEqual(expectedIds(batches));
    for (const s of ['orders', 'clicks']) expect((await d.status('acme', s)).pendingRecords).toBe(0);
  });

  it('recovers entries logged but not published (crash before publish)', async () => {
    const first = await start();
    const batches = [
      makeBatch({ n: 3, rejects: 1, intervalSeconds: 3600 }),
      makeBatch({ n: 4, intervalSeconds: 3600 }),
    ];
    for (const b of batches) await first.d.append(b);
    await stop(first.d);
    expect(await lakeKeys()).toEqual([]);

    const second = await start();
    expect(await second.d.receipt('acme', 'orders', batches[0].batchId)).toMatchObject({
      accepted: 3,
      rejected: 1,
    });
    await second.d.drain();
    expect((await second.target.loadedIds()).sort()).toEqual(expectedIds(batches));
    expect(await second.d.receipt('acme', 'orders', batches[1].batchId)).toMatchObject({ state: 'loaded' });
    // Only the active segment is left: the recovered one was deleted once published.
    await stop(second.d);
    expect(await fs.readdir(path.join(root, 'data', 'log'))).toHaveLength(1);
  });

  it('does not republish entries whose object was published before the crash (crash before checkpoint)', async () => {
    const first = await start();
    const batches = [
      makeBatch({ n: 3, rejects: 2, intervalSeconds: 3600 }),
      makeBatch({ n: 2, intervalSeconds: 3600 }),
    ];
    for (const b of batches) await first.d.append(b);
    await first.d.drain();
    const before = await lakeKeys();
    expect(before).toHaveLength(2);
    // The active segment still holds both entries, as if the process died right after publishing.
    await stop(first.d);
    expect((await fs.readdir(path.join(root, 'data', 'log'))).length).toBeGreaterThan(0);

    const second = await start();
    await second.d.drain();
    expect(await lakeKeys()).toEqual(before);
    const ids = await second.target.loadedIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(expectedIds(batches));
    expect((await second.d.receipt('acme', 'orders', batches[0].batchId))?.objects.sort()).toEqual(before);
  });

  it('loads objects published but not loaded before the crash (start-up refresh)', async () => {
    const failing = new FileLoadTarget(path.join(root, 'wh'));
    failing.failures = 1_000_000;
    const first = await start({ target: failing, drainTimeoutMs: 300 });
    const batches = [makeBatch({ n: 3, rejects: 1, intervalSeconds: 3600 })];
    await first.d.append(batches[0]);
    await expect(first.d.drain()).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await lakeKeys()).toHaveLength(2);
    await stop(first.d);

    const second = await start();
    const status = await second.d.status('acme', 'orders');
    expect(status.pendingRecords).toBe(4);
    expect(status.oldestUnloadedAt).toBe(batches[0].receivedAt);
    await second.d.drain();
    expect((await second.target.loadedIds()).sort()).toEqual(expectedIds(batches));
    expect(await second.d.receipt('acme', 'orders', batches[0].batchId)).toMatchObject({ state: 'loaded' });
    expect(second.metrics.get('acme', 'orders', 'loadedRows')).toBe(3); // the reject is loaded but not counted as a loaded row
  });

  it('keeps receipts across restarts from the receipts index, and prunes them after the retention', async () => {
    // One-byte segments: each group seals its segment, so published entries leave the log entirely.
    const first = await start({ segmentBytes: 1 });
    const b = makeBatch({ n: 2, rejects: 1, intervalSeconds: 3600 });
    await first.d.append(b);
    await first.d.drain();
    const objects = (await first.d.receipt('acme', 'orders', b.batchId))?.objects.sort();
    await stop(first.d);
    expect(await fs.readdir(path.join(root, 'data', 'log'))).toHaveLength(0);

    const second = await start({ segmentBytes: 1 });
    const r = await second.d.receipt('acme', 'orders', b.batchId);
    expect(r).toMatchObject({
      batchId: b.batchId,
      receivedAt: b.receivedAt,
      accepted: 2,
      rejected: 1,
      state: 'loaded',
    });
    expect(r?.objects.sort()).toEqual(objects);
    expect(r?.loadedAt).toBeDefined();
    expect(await second.d.receipt('other', 'orders', b.batchId)).toBeUndefined();
    await stop(second.d);

    const later = await start({ now: () => Date.now() + 26 * 3_600_000 });
    expect(await later.d.receipt('acme', 'orders', b.batchId)).toBeUndefined();
  });

  it('rejects appends before start and once closed', async () => {
    const idle = new LocalDelivery({
      ...testDeliveryDefaults,
      dataDir: path.join(root, 'data'),
      target: new FileLoadTarget(path.join(root, 'wh')),
      getStream: async (t, s) => testStream(t, s),
      metrics: new SumMetrics(),
      logger: silentLogger,
      highWatermarkBytes: 1024,
      gzip: false,
    });
    await expect(idle.append(makeBatch())).rejects.toBeInstanceOf(DependencyUnavailableError);
    await idle.close();
    const { d } = await start();
    await stop(d);
    await expect(d.append(makeBatch())).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
