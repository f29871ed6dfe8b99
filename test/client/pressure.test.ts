import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tributary, type RetryEvent } from '../../client/index.js';
import { contractFetch } from '../support/contract.js';
import { overloaded, startProxy, type ProxiedRequest, type ProxyVerdict } from '../support/http-proxy.js';
import {
  STREAM,
  TENANT,
  exactlyOnce,
  readLayer,
  startSdkServer,
  waitLoaded,
  type SdkServer,
} from '../support/sdk-server.js';
import { removeDir } from '../support/temp-dir.js';

let f: SdkServer;

beforeAll(async () => {
  f = await startSdkServer('tributary-sdk-pressure-');
}, 90_000);

afterAll(async () => {
  await f?.server.stop('SIGKILL');
  if (f) await removeDir(f.dataDir);
});

const isIngest = (r: ProxiedRequest) => r.method === 'POST' && r.path.endsWith('/records');
const pass: ProxyVerdict = { kind: 'pass' };
/** Lets the event loop run (timers, sockets, the producer's work) without waiting on the clock. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('a storm of 429s', () => {
  it('retries each batch after Retry-After with the same key and bytes, and delivers all exactly once', async () => {
    const N = 2000;
    const STORM = 24;
    let storm = STORM;
    const proxy = await startProxy(f.server.url, (r) => (isIngest(r) && storm-- > 0 ? overloaded(1) : pass));
    try {
      const trb = new Tributary({ url: proxy.url, key: f.producerKey, fetch: contractFetch });
      const p = trb.producer({ tenant: TENANT, stream: STREAM, maxBatchRecords: 100, producerId: 'storm' });
      const retries: RetryEvent[] = [];
      const batchIds: string[] = [];
      p.on('retry', (e) => retries.push(e));
      p.on('acked', (e) => batchIds.push(e.batchId));
      for (let i = 0; i < N; i++) await p.send({ id: `s-${i}`, n: i });
      await p.close();

      expect(p.counts).toMatchObject({ queued: N, acked: N, failed: 0, retries: STORM });
      expect(retries).toHaveLength(STORM);
      for (const r of retries) {
        expect(r.error).toMatchObject({ status: 429, code: 'overloaded', retryAfterSeconds: 1 });
        expect(r.delayMs).toBeGreaterThanOrEqual(1000);
      }
      // Every attempt of a batch carried the same Idempotency-Key and the same bytes.
      const attempts = new Map<string, Buffer[]>();
      for (const r of proxy.requests.filter(isIngest)) {
        const key = String(r.headers['idempotency-key']);
        attempts.set(key, [...(attempts.get(key) ?? []), r.body]);
      }
      expect(attempts.size).toBe(N / 100);
      for (const bodies of attempts.values()) for (const b of bodies) expect(b.equals(bodies[0])).toBe(true);
      expect([...attempts.values()].reduce((n, b) => n + b.length, 0)).toBe(N / 100 + STORM);

      await waitLoaded(f.trb, batchIds);
      const raw = await readLayer(f.trb, 'raw');
      const ids = Array.from({ length: N }, (_, i) => `s-${i}`);
      expect(
        exactlyOnce(
          raw.ids.filter((id) => id.startsWith('s-')),
          ids,
        ),
      ).toEqual({ repeated: [], missing: [] });
    } finally {
      await proxy.close();
    }
  }, 120_000);
});

describe('the memory bound', () => {
  it('never holds more than maxQueueBytes, and send() waits while the queue is full', async () => {
    const N = 3000;
    const MAX_QUEUE = 64 * 1024;
    const record = (i: number) => ({ id: `m-${String(i).padStart(6, '0')}`, n: i, pad: 'q'.repeat(160) });
    const recordBytes = JSON.stringify(record(0)).length + 1;
    // Every ingest request is held until release(): nothing is acknowledged, so nothing frees room.
    const proxy = await startProxy(f.server.url, (r) => (isIngest(r) ? { kind: 'hold' } : pass));
    try {
      const trb = new Tributary({ url: proxy.url, key: f.producerKey, fetch: contractFetch });
      const p = trb.producer({
        tenant: TENANT,
        stream: STREAM,
        maxQueueBytes: MAX_QUEUE,
        maxBatchBytes: 8 * 1024,
        lingerMs: 5,
        gzip: false,
        maxInFlight: 4,
      });
      let resolved = 0;
      let maxQueued = 0;
      let maxHeld = 0;
      const sample = () => {
        maxQueued = Math.max(maxQueued, p.queuedBytes);
        maxHeld = Math.max(maxHeld, proxy.held().bytes);
      };
      const batchIds: string[] = [];
      p.on('acked', (e) => batchIds.push(e.batchId));
      const sending = (async () => {
        for (let i = 0; i < N; i++) {
          await p.send(record(i));
          resolved++;
          sample();
        }
      })();

      // Fill up: four batches held in flight, and the queue behind them full.
      await proxy.when(() => proxy.held().count === 4);
      while (p.queuedBytes + recordBytes <= MAX_QUEUE) await turn();
      const stalledAt = resolved;
      for (let i = 0; i < 50; i++) {
        await turn();
        sample();
      }
      expect(resolved, 'send() resolved while the queue was full').toBe(stalledAt);
      expect(resolved * recordBytes).toBeLessThanOrEqual(MAX_QUEUE);
      expect(resolved).toBeLessThan(N);

      proxy.release();
      await sending;
      await p.close();
      sample();
      expect(maxQueued).toBeLessThanOrEqual(MAX_QUEUE);
      expect(maxHeld).toBeLessThanOrEqual(MAX_QUEUE);
      expect(p.counts).toMatchObject({ queued: N, acked: N, failed: 0 });
      expect(p.queuedBytes).toBe(0);

      await waitLoaded(f.trb, batchIds);
      const raw = await readLayer(f.trb, 'raw');
      const ids = Array.from({ length: N }, (_, i) => record(i).id);
      expect(
        exactlyOnce(
          raw.ids.filter((id) => id.startsWith('m-')),
          ids,
        ),
      ).toEqual({ repeated: [], missing: [] });
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
