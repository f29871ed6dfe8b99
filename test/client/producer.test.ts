import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RecordTooLargeError,
  SpoolFullError,
  Tributary,
  TributaryError,
  type FailedEvent,
  type RejectedEvent,
} from '../../client/index.js';
import { Spool } from '../../client/spool.js';
import { contractFetch } from '../support/contract.js';
import { startProxy, type ProxiedRequest, type TestProxy } from '../support/http-proxy.js';
import {
  STREAM,
  TENANT,
  exactlyOnce,
  readLayer,
  startSdkServer,
  waitLoaded,
  type SdkServer,
} from '../support/sdk-server.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

let f: SdkServer;
let proxy: TestProxy;
let trb: Tributary;

beforeAll(async () => {
  f = await startSdkServer('tributary-sdk-producer-');
  proxy = await startProxy(f.server.url);
  trb = new Tributary({ url: proxy.url, key: f.producerKey, fetch: contractFetch });
}, 90_000);

afterAll(async () => {
  await proxy?.close();
  await f?.server.stop('SIGKILL');
  if (f) await removeDir(f.dataDir);
});

const keyOf = (r: ProxiedRequest) => String(r.headers['idempotency-key'] ?? '');
/** The batch's number: the last part of its Idempotency-Key (`<producerId>.<run>.<seq>`). */
const seqOf = (r: ProxiedRequest) => Number(keyOf(r).split('.').at(-1));
/** The ingest requests the proxy saw from producer `producerId`, in batch order (up to 4 are in flight at once). */
const batchesOf = (producerId: string): ProxiedRequest[] =>
  proxy.requests.filter((r) => keyOf(r).startsWith(`${producerId}.`)).sort((a, b) => seqOf(a) - seqOf(b));
/** The records of a batch: a JSON array. */
const recordsIn = (r: ProxiedRequest): unknown[] =>
  JSON.parse(
    (r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString(),
  ) as unknown[];

describe('Producer batching', () => {
  it('cuts a batch at maxBatchRecords, and flush() sends the rest', async () => {
    const p = trb.producer({
      tenant: TENANT,
      stream: STREAM,
      maxBatchRecords: 10,
      lingerMs: 600_000,
      producerId: 'byrecords',
    });
    for (let i = 0; i < 35; i++) await p.send({ id: `br-${i}`, n: i });
    await p.flush();
    const sent = batchesOf('byrecords');
    expect(sent.map((r) => recordsIn(r).length)).toEqual([10, 10, 10, 5]);
    expect(sent.flatMap(recordsIn).map((r) => (r as { id: string }).id)).toEqual(
      Array.from({ length: 35 }, (_, i) => `br-${i}`),
    );
    expect(new Set(sent.map((r) => r.headers['idempotency-key'])).size).toBe(4);
    expect(sent.every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
    expect(p.counts).toMatchObject({ queued: 35, batches: 4, acked: 35, rejected: 0, retries: 0, failed: 0 });
    await p.close();
  });

  it('cuts a batch before it would pass maxBatchBytes', async () => {
    const p = trb.producer({
      tenant: TENANT,
      stream: STREAM,
      maxBatchBytes: 1000,
      lingerMs: 600_000,
      gzip: false,
      producerId: 'bybytes',
    });
    for (let i = 0; i < 40; i++) await p.send({ id: `bb-${i}`, n: i, pad: 'y'.repeat(60) });
    await p.close();
    const sent = batchesOf('bybytes');
    expect(sent.length).toBeGreaterThan(3);
    for (const r of sent) expect(r.body.byteLength).toBeLessThanOrEqual(1000);
    expect(sent.flatMap(recordsIn)).toHaveLength(40);
  });

  it('sends a batch once its first record has lingered, without a flush', async () => {
    const p = trb.producer({ tenant: TENANT, stream: STREAM, lingerMs: 20, producerId: 'linger' });
    const acked = new Promise<number>((resolve) => p.once('acked', (e) => resolve(e.accepted)));
    for (let i = 0; i < 3; i++) await p.send({ id: `lg-${i}`, n: i });
    expect(await acked).toBe(3);
    await p.close();
  });

  it('gzips bodies of at least gzipMinBytes, once: the bytes are what the API stored', async () => {
    const p = trb.producer({
      tenant: TENANT,
      stream: STREAM,
      maxBatchRecords: 20,
      gzipMinBytes: 500,
      lingerMs: 600_000,
      producerId: 'gzip',
    });
    for (let i = 0; i < 22; i++) await p.send({ id: `gz-${i}`, n: i, pad: 'z'.repeat(40) });
    await p.close();
    const sent = batchesOf('gzip');
    expect(sent.map((r) => r.headers['content-encoding'])).toEqual(['gzip', undefined]);
    expect(sent.flatMap(recordsIn)).toHaveLength(22);
    expect(p.counts.acked).toBe(22);
  });
});

describe('Producer answers', () => {
  it("emits 'rejected' for each invalid record with its errors, and counts them", async () => {
    const p = trb.producer({ tenant: TENANT, stream: STREAM, producerId: 'rejects' });
    const rejected: RejectedEvent[] = [];
    p.on('rejected', (e) => rejected.push(e));
    await p.send({ id: 'ok-1', n: 1 });
    await p.send({ id: 'bad-1', n: 'one' });
    await p.send({ n: 3 });
    await p.flush();
    expect(rejected.map((e) => [e.index, e.record])).toEqual([
      [1, { id: 'bad-1', n: 'one' }],
      [2, { n: 3 }],
    ]);
    expect(rejected[0].errors).toEqual([{ path: '/n', message: expect.any(String) }]);
    expect(p.counts).toMatchObject({ acked: 1, rejected: 2 });
    await p.close();
  });

  it("does not retry a refusal (401): 'failed' carries the records and flush() rejects with it", async () => {
    const bad = new Tributary({ url: proxy.url, key: 'trb_not_a_key', fetch: contractFetch });
    const p = bad.producer({ tenant: TENANT, stream: STREAM, producerId: 'unauth' });
    const failed: FailedEvent[] = [];
    p.on('failed', (e) => failed.push(e));
    await p.send({ id: 'u-1', n: 1 });
    const err = await p.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect(err).toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(failed.map((e) => e.records)).toEqual([[{ id: 'u-1', n: 1 }]]);
    expect(batchesOf('unauth')).toHaveLength(1);
    expect(p.counts).toMatchObject({ failed: 1, retries: 0 });
    // Reported once: close() flushes again and has nothing new to report.
    await expect(p.close()).resolves.toBeUndefined();
  });

  it('refuses what could never be sent, at send()', async () => {
    const p = trb.producer({ tenant: TENANT, stream: STREAM, maxBatchBytes: 200 });
    await expect(p.send(undefined)).rejects.toThrow(TypeError);
    await expect(p.send({ id: 'x', n: 1, pad: 'p'.repeat(300) })).rejects.toBeInstanceOf(RecordTooLargeError);
    await expect(p.send(10n)).rejects.toThrow(/BigInt/);
    await p.close();
    await expect(p.send({ id: 'late', n: 1 })).rejects.toThrow(/closed/);
    expect(() => trb.producer({ tenant: 'Acme', stream: STREAM })).toThrow(/tenant must match/);
    expect(() => trb.producer({ tenant: TENANT, stream: STREAM, maxBatchRecords: 0 })).toThrow(
      /maxBatchRecords must be an integer from 1 to 10000/,
    );
  });

  it('refuses a spool directory another producer holds', async () => {
    const dir = await tempDir('tributary-sdk-lock-');
    try {
      const first = trb.producer({ tenant: TENANT, stream: STREAM, spoolDir: join(dir, 'spool') });
      await first.ready;
      const second = trb.producer({ tenant: TENANT, stream: STREAM, spoolDir: join(dir, 'spool') });
      await expect(second.ready).rejects.toThrow(/in use by process/);
      await expect(second.send({ id: 's', n: 1 })).rejects.toThrow(/in use by process/);
      await expect(second.close()).rejects.toThrow(/in use by process/);
      await first.close();
    } finally {
      await removeDir(dir);
    }
  });
});

describe('Producer spool', () => {
  it('refuses new records with SpoolFullError while the spool is full, and loses none it took', async () => {
    let down = true;
    const gate = await startProxy(f.server.url, (r) =>
      down && r.method === 'POST' ? { kind: 'drop' } : { kind: 'pass' },
    );
    const dir = await tempDir('tributary-sdk-full-');
    const spoolDir = join(dir, 'spool');
    try {
      const via = new Tributary({ url: gate.url, key: f.producerKey, fetch: contractFetch });
      const p = via.producer({
        tenant: TENANT,
        stream: STREAM,
        spoolDir,
        maxSpoolBytes: 16 * 1024,
        deliveryTimeoutMs: 50,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
        maxBatchRecords: 10,
        lingerMs: 1,
        gzip: false,
        maxQueueBytes: 4096,
      });
      const batchIds: string[] = [];
      p.on('acked', (e) => batchIds.push(e.batchId));
      let refused: unknown;
      let sent = 0;
      for (; sent < 100_000; sent++) {
        try {
          await p.send({ id: `sf-${sent}`, n: sent });
        } catch (err) {
          refused = err;
          break;
        }
      }
      expect(refused).toBeInstanceOf(SpoolFullError);
      expect((refused as Error).message).toContain('maxSpoolBytes (16384)');
      expect((refused as Error).message).toContain(spoolDir);
      expect(p.spoolBytes).toBeLessThanOrEqual(16 * 1024);
      expect(p.counts.spooled).toBeGreaterThan(0);
      expect(p.counts.queued).toBe(sent);

      down = false;
      await p.close();
      expect(p.counts).toMatchObject({ acked: sent, failed: 0 });
      expect(p.counts.replayed).toBe(p.counts.spooled);

      await waitLoaded(f.trb, batchIds);
      const raw = await readLayer(f.trb, 'raw');
      const expected = Array.from({ length: sent }, (_, i) => `sf-${i}`);
      expect(
        exactlyOnce(
          raw.ids.filter((id) => id.startsWith('sf-')),
          expected,
        ),
      ).toEqual({
        repeated: [],
        missing: [],
      });
      expect(raw.ids).not.toContain(`sf-${sent}`);
    } finally {
      await gate.close();
      await removeDir(dir);
    }
  });

  it('replays an NDJSON batch spooled by an earlier version with its own bytes and key', async () => {
    const dir = await tempDir('tributary-sdk-ndjson-spool-');
    const spoolDir = join(dir, 'spool');
    try {
      const body = Buffer.from('{"id":"nd-1","n":1}\n{"id":"nd-2","n":"two"}\n');
      const old = await Spool.open({ dir: spoolDir, maxBytes: 2 ** 20 });
      await old.append({
        tenant: TENANT,
        stream: STREAM,
        idempotencyKey: 'older.run.1',
        contentType: 'application/x-ndjson',
        gzip: false,
        body,
        records: 2,
        spooledAt: '2026-01-01T00:00:00.000Z',
      });
      await old.close();

      const p = trb.producer({ tenant: TENANT, stream: STREAM, spoolDir });
      const rejected: RejectedEvent[] = [];
      p.on('rejected', (e) => rejected.push(e));
      await p.close();
      const [sent] = proxy.requests.filter((r) => keyOf(r) === 'older.run.1');
      expect(sent.headers['content-type']).toBe('application/x-ndjson');
      expect(Buffer.compare(sent.body, body)).toBe(0);
      expect(p.counts).toMatchObject({ replayed: 2, acked: 1, rejected: 1 });
      expect(rejected.map((e) => [e.index, e.record])).toEqual([[1, { id: 'nd-2', n: 'two' }]]);
    } finally {
      await removeDir(dir);
    }
  });
});
