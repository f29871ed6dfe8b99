import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lake } from '../../../api/adapters/local/lake.js';
import { Loader } from '../../../api/adapters/local/loader.js';
import type { LakeObject } from '../../../api/ports.js';
import { FileLoadTarget, makeBatch, silentLogger, SumMetrics, tempDir, testStream } from './support.js';

describe('Loader', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function publishOne(): Promise<LakeObject> {
    const lake = new Lake(path.join(dir, 'lake'), path.join(dir, 'tmp'));
    await lake.init();
    const b = makeBatch({ n: 4 });
    return lake.publish({
      kind: 'raw',
      tenant: 'acme',
      stream: 'orders',
      firstLsn: 1,
      lastLsn: 1,
      records: 4,
      at: new Date(),
      gzip: false,
      chunks: [Buffer.from(b.records.join('\n') + '\n')],
    });
  }

  function loader(
    target: FileLoadTarget,
    metrics: SumMetrics,
    loaded: string[],
    errors: string[],
    concurrency = 2,
  ) {
    return new Loader({
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
    const obj = await publishOne();
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
    const obj = await publishOne();
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
    const obj = await publishOne();
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
});
