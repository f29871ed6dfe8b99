import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lake } from '../../../api/adapters/local/lake.js';
import { Loader, type LoaderOptions } from '../../../api/adapters/local/loader.js';
import {
  DependencyUnavailableError,
  LoadDataError,
  ResourceExhaustedError,
} from '../../../api/domain/errors.js';
import type { LakeObject, LoadedObject } from '../../../api/ports.js';
import { FileLoadTarget, silentLogger, SumMetrics, tempDir, testStream, waitFor } from './support.js';

describe('Loader', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  let lsn = 0;
  /** Publishes an object of `n` lines (raw records or quarantine rejects) into the lake. */
  async function publish(
    opts: { tenant?: string; stream?: string; kind?: LakeObject['kind']; n?: number; bad?: number[] } = {},
  ): Promise<LakeObject> {
    const { tenant = 'acme', stream = 'orders', kind = 'raw', n = 4, bad = [] } = opts;
    const lake = new Lake(path.join(dir, 'lake'), path.join(dir, 'tmp'));
    await lake.init();
    const first = ++lsn;
    const batch = `b${first}`;
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        _tenant: tenant,
        _stream: stream,
        _batch_id: batch,
        _index: i,
        ...(kind === 'raw' ? { _id: `${tenant}-${stream}-${batch}-${i}` } : {}),
        record: bad.includes(i) ? { i, note: 'BAD' } : { i },
      }),
    );
    return lake.publish({
      kind,
      tenant,
      stream,
      firstLsn: first,
      lastLsn: first,
      records: n,
      at: new Date(),
      gzip: false,
      chunks: [Buffer.from(lines.join('\n') + '\n')],
    });
  }

  /** Holds the target's loads until the returned function is called. */
  function hold(target: FileLoadTarget): () => void {
    let release = (): void => undefined;
    target.gate = new Promise<void>((resolve) => {
      release = () => {
        target.gate = undefined;
        resolve();
      };
    });
    return release;
  }

  function loader(
    target: FileLoadTarget,
    metrics: SumMetrics,
    loaded: string[],
    errors: string[],
    concurrency = 2,
    caps: Pick<LoaderOptions, 'maxGroupObjects' | 'maxGroupBytes'> = {},
  ) {
    return new Loader({
      ...caps,
      target,
      getStream: async (t, s) => testStream(t, s),
      metrics,
      logger: silentLogger,
      now: Date.now,
      concurrency,
      retryBaseMs: 5,
      retryMaxMs: 20,
      onLoaded: (obj) => loaded.push(obj.key),
      onError: (_obj, _at, message) => errors.push(message),
    });
  }

  it('absorbs duplicate notifications and never double-loads', async () => {
    const obj = await publish();
    const target = new FileLoadTarget(path.join(dir, 'wh'));
    const metrics = new SumMetrics();
    const loaded: string[] = [];
    const l = loader(target, metrics, loaded, []);
    l.notify(obj);
    l.notify(obj);
    l.notify({ ...obj });
    await l.whenIdle();
    // A late duplicate reaches the target, whose load history answers alreadyLoaded.
    l.notify(obj);
    await l.whenIdle();
    await l.close();
    expect(target.calls).toBe(2);
    expect(loaded).toEqual([obj.key, obj.key]);
    expect(await target.loadedIds()).toHaveLength(4);
    expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(4);
  });

  it('retries a failing load, counting each failure, until it succeeds', async () => {
    const obj = await publish();
    const target = new FileLoadTarget(path.join(dir, 'wh'));
    target.failures = 3;
    const metrics = new SumMetrics();
    const loaded: string[] = [];
    const errors: string[] = [];
    const l = loader(target, metrics, loaded, errors);
    l.notify(obj);
    await l.whenIdle();
    await l.close();
    expect(errors).toEqual(['warehouse unavailable', 'warehouse unavailable', 'warehouse unavailable']);
    expect(metrics.get('acme', 'orders', 'loadErrors')).toBe(3);
    expect(loaded).toEqual([obj.key]);
    expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(4);
  });

  it('treats an unknown stream as a load error, not a success', async () => {
    const obj = await publish();
    const target = new FileLoadTarget(path.join(dir, 'wh'));
    const errors: string[] = [];
    const l = new Loader({
      target,
      getStream: async () => undefined,
      metrics: new SumMetrics(),
      logger: silentLogger,
      now: Date.now,
      concurrency: 1,
      retryBaseMs: 5,
      retryMaxMs: 10,
      onLoaded: () => errors.push('loaded?!'),
      onError: (_o, _a, message) => errors.push(message),
    });
    l.notify(obj);
    while (errors.length < 2) await new Promise((r) => setTimeout(r, 5));
    await l.close();
    expect(errors.slice(0, 2)).toEqual(['stream acme/orders not found', 'stream acme/orders not found']);
    expect(l.pending).toBe(1);
    expect(target.calls).toBe(0);
  });
  it('loads objects notified while a load runs as one group, and a lone object alone', async () => {
    const [a, b, c, d] = [await publish(), await publish({ n: 2 }), await publish({ n: 3 }), await publish()];
    const target = new FileLoadTarget(path.join(dir, 'wh'));
    const metrics = new SumMetrics();
    const loaded: string[] = [];
    const l = loader(target, metrics, loaded, [], 1);
    const release = hold(target);
    l.notify(a);
    for (const obj of [b, c, b, d]) l.notify(obj);
    expect(l.pending).toBe(4);
    release();
    await l.whenIdle();
    expect(target.groups).toEqual([[a.key], [b.key, c.key, d.key]]);
    expect(loaded).toEqual([a.key, b.key, c.key, d.key]);
    expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(13);

    const e = await publish();
    l.notify(e);
    await l.whenIdle();
    await l.close();
    expect(target.groups.at(-1)).toEqual([e.key]);
    expect(await target.loadedIds()).toHaveLength(17);
  });

  it('never groups objects of different tenants or streams, and groups raw with quarantine', async () => {
    const first = await publish();
    const raw1 = await publish();
    const otherStream = await publish({ stream: 'refunds' });
    const otherTenant = await publish({ tenant: 'beta' });
    const rejects = await publish({ kind: 'quarantine', n: 2 });
    const raw2 = await publish({ n: 5 });
    const target = new FileLoadTarget(path.join(dir, 'wh'));
    const metrics = new SumMetrics();
    const loaded: string[] = [];
    const l = loader(target, metrics, loaded, [], 1);
    const release = hold(target);
    for (const obj of [first, raw1, otherStream, otherTenant, rejects, raw2]) l.notify(obj);
    release();
    await l.whenIdle();
    await l.close();
    expect(target.groups).toEqual([
      [first.key],
      [raw1.key, rejects.key, raw2.key],
      [otherStream.key],
      [otherTenant.key],
    ]);
    expect(loaded).toHaveLength(6);
    // Quarantine rows are loaded but not counted as loadedRows.
    expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(13);
    expect(metrics.get('acme', 'refunds', 'loadedRows')).toBe(4);
    expect(metrics.get('beta', 'orders', 'loadedRows')).toBe(4);
    expect((await target.loadedIds()).filter((id) => id.startsWith('q:'))).toHaveLength(2);
  });

  it('caps a group by object count', async () => {
    const objs: LakeObject[] = [];
    for (let i = 0; i < 6; i++) objs.push(await publish());
    const target = new FileLoadTarget(path.join(dir, 'wh'));
    const loaded: string[] = [];
    const l = loader(target, new SumMetrics(), loaded, [], 1, { maxGroupObjects: 2 });
    const release = hold(target);
    for (const obj of objs) l.notify(obj);
    release();
    await l.whenIdle();
    await l.close();
    const keys = objs.map((o) => o.key);
    expect(target.groups).toEqual([[keys[0]], keys.slice(1, 3), keys.slice(3, 5), [keys[5]]]);
    expect(loaded).toEqual(keys);
  });

  it('caps a group by bytes, loading an object bigger than the cap alone', async () => {
    const small: LakeObject[] = [];
    for (let i = 0; i < 4; i++) small.push(await publish({ n: 2 }));
    const big = await publish({ n: 20 });
    const last = await publish({ n: 2 });
    expect(new Set(small.map((o) => o.bytes)).size).toBe(1);
    const target = new FileLoadTarget(path.join(dir, 'wh'));
    const loaded: string[] = [];
    // Room for two small objects, never for the big one.
    const l = loader(target, new SumMetrics(), loaded, [], 1, { maxGroupBytes: 2 * small[0].bytes + 1 });
    expect(big.bytes).toBeGreaterThan(2 * small[0].bytes + 1);
    const release = hold(target);
    l.notify(small[0]);
    for (const obj of [small[1], small[2], big, small[3], last]) l.notify(obj);
    release();
    await l.whenIdle();
    await l.close();
    expect(target.groups).toEqual([
      [small[0].key],
      [small[1].key, small[2].key],
      [big.key],
      [small[3].key, last.key],
    ]);
    expect(loaded).toHaveLength(6);
  });

  it('retries a failed group one object at a time: the good ones load, the bad one keeps failing', async () => {
    const [a, b, bad, c] = [await publish(), await publish(), await publish(), await publish()];
    const target = new FileLoadTarget(path.join(dir, 'wh'));
    target.badKeys.add(bad.key);
    const metrics = new SumMetrics();
    const loaded: string[] = [];
    const errors: string[] = [];
    const failedObjects: string[] = [];
    const l = new Loader({
      target,
      getStream: async (t, s) => testStream(t, s),
      metrics,
      logger: silentLogger,
      now: Date.now,
      concurrency: 1,
      retryBaseMs: 5,
      retryMaxMs: 20,
      onLoaded: (obj) => loaded.push(obj.key),
      onError: (obj, _at, message) => {
        failedObjects.push(obj.key);
        errors.push(message);
      },
    });
    const release = hold(target);
    l.notify(a);
    for (const obj of [b, bad, c]) l.notify(obj);
    release();
    await waitFor(() => errors.length >= 3);
    expect(loaded).toEqual([a.key, b.key, c.key]);
    expect(l.pending).toBe(1);
    expect(target.groups.slice(0, 5)).toEqual([
      [a.key],
      [b.key, bad.key, c.key],
      [b.key],
      [bad.key],
      [c.key],
    ]);
    // Once a job failed in a group, every later attempt holds it alone.
    expect(target.groups.slice(5).every((g) => g.length === 1 && g[0] === bad.key)).toBe(true);
    expect(new Set(failedObjects)).toEqual(new Set([bad.key]));
    expect(new Set(errors)).toEqual(new Set([`bad object ${bad.key}`]));

    // A new object is not held back by the failing one.
    const d = await publish();
    l.notify(d);
    await waitFor(() => loaded.includes(d.key));

    target.badKeys.delete(bad.key);
    await l.whenIdle();
    await l.close();
    expect(loaded).toEqual([a.key, b.key, c.key, d.key, bad.key]);
    expect(metrics.get('acme', 'orders', 'loadErrors')).toBe(errors.length);
    expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(20);
    expect(await target.loadedIds()).toHaveLength(20);
  });

  describe('data, resource and dependency failures', () => {
    function make(target: FileLoadTarget, metrics: SumMetrics, opts: Partial<LoaderOptions> = {}) {
      const loaded: Array<{ key: string; result: LoadedObject }> = [];
      const errors: string[] = [];
      let now = 1_000_000;
      const l = new Loader({
        target,
        getStream: async (t, s) => testStream(t, s),
        metrics,
        logger: silentLogger,
        now: () => now,
        concurrency: 1,
        retryBaseMs: 5,
        retryMaxMs: 20,
        onLoaded: (obj, _at, result) => loaded.push({ key: obj.key, result }),
        onError: (_obj, _at, message) => errors.push(message),
        ...opts,
      });
      return { l, loaded, errors, tick: (ms: number) => (now += ms) };
    }

    it('salvages an object refused for its data: good lines load, bad ones are counted, nothing is retried', async () => {
      const [a, bad, c] = [await publish(), await publish({ bad: [1, 2] }), await publish()];
      const target = new FileLoadTarget(path.join(dir, 'wh'));
      target.fail = (objs) =>
        objs.some((o) => o.key === bad.key)
          ? new LoadDataError('Malformed JSON: no low surrogate')
          : undefined;
      const metrics = new SumMetrics();
      const { l, loaded, errors } = make(target, metrics);
      const release = hold(target);
      l.notify(a);
      l.notify(bad);
      l.notify(c);
      release();
      await l.whenIdle();
      await l.close();
      expect(target.groups.slice(0, 4)).toEqual([[a.key], [bad.key, c.key], [bad.key], [c.key]]);
      expect(target.salvaged).toEqual([bad.key]);
      expect(errors).toEqual([]);
      expect(loaded.find((x) => x.key === bad.key)?.result).toMatchObject({ rows: 2, failed: 2 });
      expect(metrics.get('acme', 'orders', 'loadedRows')).toBe(10);
      expect(metrics.get('acme', 'orders', 'loadFailed')).toBe(2);
      expect(metrics.get('acme', 'orders', 'loadErrors')).toBe(0);
      expect(l.failure('acme', 'orders')).toBeUndefined();
    });

    it('retries a salvage that meets a dependency error, reporting the failure until it passes', async () => {
      const bad = await publish({ bad: [0] });
      const target = new FileLoadTarget(path.join(dir, 'wh'));
      target.fail = () => new LoadDataError('JSON transform error');
      target.salvageError = new DependencyUnavailableError('IO Error: disk gone');
      const metrics = new SumMetrics();
      const { l, errors, tick } = make(target, metrics);
      l.notify(bad);
      await waitFor(() => errors.length >= 2);
      tick(5_000);
      expect(l.failure('acme', 'orders')).toEqual({
        since: new Date(1_000_000).toISOString(),
        attempts: expect.any(Number) as number,
        kind: 'dependency',
        message: 'IO Error: disk gone',
        object: bad.key,
      });
      expect(l.failure('acme', 'orders')!.attempts).toBeGreaterThanOrEqual(2);
      expect(l.failure('acme', 'other')).toBeUndefined();
      target.salvageError = undefined;
      await l.whenIdle();
      await l.close();
      expect(l.failure('acme', 'orders')).toBeUndefined();
      expect(metrics.get('acme', 'orders', 'loadFailed')).toBe(1);
      expect(metrics.get('acme', 'orders', 'loadErrors')).toBe(errors.length);
    });

    it('never salvages on a dependency error: it retries with backoff and reports the stream failing', async () => {
      const obj = await publish();
      const target = new FileLoadTarget(path.join(dir, 'wh'));
      target.fail = () => new DependencyUnavailableError('IO Error: Could not set lock on file');
      const metrics = new SumMetrics();
      const { l, errors } = make(target, metrics);
      l.notify(obj);
      await waitFor(() => errors.length >= 3);
      expect(target.salvaged).toEqual([]);
      expect(l.failure('acme', 'orders')).toMatchObject({ kind: 'dependency', object: obj.key });
      target.fail = undefined;
      await l.whenIdle();
      await l.close();
      expect(target.salvaged).toEqual([]);
      expect(await target.loadedIds()).toHaveLength(4);
    });

    it('halves the group size after a resource failure and grows it back as loads succeed', async () => {
      const objs = [];
      for (let i = 0; i < 8; i++) objs.push(await publish());
      const target = new FileLoadTarget(path.join(dir, 'wh'));
      let oom = 1;
      target.fail = (group) =>
        group.length > 1 && oom-- > 0
          ? new ResourceExhaustedError('Out of Memory Error: could not allocate')
          : undefined;
      const metrics = new SumMetrics();
      const { l } = make(target, metrics, { maxGroupObjects: 8 });
      expect(l.groupObjects).toBe(8);
      const release = hold(target);
      const first = await publish();
      l.notify(first);
      for (const o of objs) l.notify(o);
      release();
      await l.whenIdle();
      // The group of 8 failed, its objects loaded alone, and groups are now capped at 4.
      expect(target.groups[1]).toHaveLength(8);
      expect(target.groups.slice(2, 10).every((g) => g.length === 1)).toBe(true);
      expect(l.groupObjects).toBe(4);
      expect(target.salvaged).toEqual([]);
      expect(await target.loadedIds()).toHaveLength(36);
      // Sixteen good loads after the failure (eight above, eight here) the cap doubles back.
      for (let i = 0; i < 8; i++) {
        l.notify(await publish());
        await l.whenIdle();
      }
      expect(l.groupObjects).toBe(8);
      await l.close();
    });
  });
});
