import { createServer, type AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tributary, TributaryError, type DryRunResponse, type Stream } from '../../client/index.js';
import { contractFetch } from '../support/contract.js';
import { startProxy, type TestProxy } from '../support/http-proxy.js';
import { STREAM, TENANT, startSdkServer, type SdkServer } from '../support/sdk-server.js';
import { removeDir } from '../support/temp-dir.js';

let f: SdkServer;
let proxy: TestProxy;

beforeAll(async () => {
  f = await startSdkServer('tributary-sdk-client-');
  proxy = await startProxy(f.server.url);
}, 90_000);

afterAll(async () => {
  await proxy?.close();
  await f?.server.stop('SIGKILL');
  if (f) await removeDir(f.dataDir);
});

const caught = async (p: Promise<unknown>): Promise<TributaryError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  return err as TributaryError;
};

describe('Tributary: control plane and reads', () => {
  it('creates, reads, dry-runs, evolves and deletes a stream', async () => {
    const created = await f.trb.streams.create(TENANT, {
      name: 'orders',
      schema: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    });
    expect(created).toMatchObject({ name: 'orders', version: 1 });
    expect((await f.trb.streams.list(TENANT)).map((s) => s.name).sort()).toEqual(['events', 'orders']);
    expect((await f.trb.streams.get(TENANT, 'orders')).schema).toEqual(created.schema);

    const patch = {
      schema: {
        type: 'object',
        properties: { order_id: { type: 'string' }, amount: { type: 'number' } },
        required: ['order_id'],
      },
    };
    const dry = (await f.trb.streams.update(TENANT, 'orders', patch, { dryRun: true })) as DryRunResponse;
    expect(dry).toMatchObject({ dryRun: true, compatible: true, fromVersion: 1, toVersion: 2 });
    expect((await f.trb.streams.get(TENANT, 'orders')).version).toBe(1);
    const evolved = (await f.trb.streams.update(TENANT, 'orders', patch)) as Stream;
    expect(evolved.version).toBe(2);
    expect((await f.trb.streams.versions(TENANT, 'orders')).map((v) => v.version)).toEqual([1, 2]);

    await f.trb.streams.delete(TENANT, 'orders');
    expect((await f.trb.streams.get(TENANT, 'orders')).deletedAt).toBeDefined();
  });

  it('creates, lists and revokes keys; a revoked key is refused with 401', async () => {
    const key = await f.trb.keys.create(TENANT, { name: 'reader', role: 'consumer', streams: [STREAM] });
    expect(key).toMatchObject({ name: 'reader', role: 'consumer', streams: [STREAM], pii: false });
    expect((await f.trb.keys.list(TENANT)).map((k) => k.id)).toContain(key.id);
    const reader = new Tributary({ url: f.server.url, key: key.secret, fetch: contractFetch });
    expect(await reader.me()).toMatchObject({ kind: 'key', tenant: TENANT, role: 'consumer' });

    await f.trb.keys.revoke(TENANT, key.id);
    const err = await caught(reader.streams.get(TENANT, STREAM));
    expect(err).toMatchObject({ status: 401, code: 'unauthenticated', title: 'Unauthorized' });
    expect(err.requestId).toBeTruthy();
  });

  it('builds TributaryError from problem+json: status, code, detail and the field errors', async () => {
    const bad = await caught(f.trb.streams.create(TENANT, { name: 'Bad-Name', schema: { type: 'object' } }));
    expect(bad.status).toBe(400);
    expect(bad.type).toBe('https://tributary.dev/problems/invalid-input');
    expect(bad.errors).toContainEqual(expect.objectContaining({ path: 'body.name' }));
    expect(bad.message).toContain('body.name');

    const missing = await caught(f.trb.streams.get(TENANT, 'nope'));
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    expect(missing.message).toMatch(/^Not Found \(404\): /);
  });
});

/** Both ways the SDK can talk HTTP: an injected fetch (here checked against the contract), and node:http. */
describe.each([
  ['fetch', contractFetch],
  ['node:http', undefined],
] as const)('Tributary over %s', (_name, fetchFn) => {
  it('says status 0 and names the cause when nothing answers', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const down = new Tributary({ url: `http://127.0.0.1:${port}`, key: 'x', fetch: fetchFn });
    const err = await caught(down.streams.list(TENANT));
    expect(err).toMatchObject({ status: 0, code: 'network_error' });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('gives up on an answer that does not come within requestTimeoutMs', async () => {
    const stall = await startProxy(f.server.url, () => ({ kind: 'hold' }));
    try {
      const slow = new Tributary({ url: stall.url, key: 'x', fetch: fetchFn, requestTimeoutMs: 200 });
      const err = await caught(slow.me());
      expect(err).toMatchObject({ status: 0, code: 'timeout', title: 'Timeout' });
    } finally {
      await stall.close();
    }
  });

  it('reads answers and problems alike: a batch, its idempotent replay, a refusal', async () => {
    const via = new Tributary({ url: proxy.url, key: f.producerKey, fetch: fetchFn });
    const key = `transport-${_name.replace(/\W/g, '')}`;
    const body = `{"id":"${key}-1","n":1}\n{"id":"${key}-2","n":2}\n`;
    const first = await via.sendBatch({
      tenant: TENANT,
      stream: STREAM,
      body,
      idempotencyKey: key,
      gzip: true,
    });
    expect(first).toMatchObject({ accepted: 2, rejected: 0, duplicates: 0, errors: [] });
    const sent = proxy.requests.at(-1)!;
    expect(sent.headers).toMatchObject({ 'content-encoding': 'gzip', 'idempotency-key': key });
    expect(gunzipSync(sent.body).toString()).toBe(body);
    const again = await via.sendBatch({
      tenant: TENANT,
      stream: STREAM,
      body,
      idempotencyKey: key,
      gzip: true,
    });
    expect(again).toEqual(first);
    // A producer key may not read receipts.
    const refused = await caught(via.receipts.get(TENANT, STREAM, first.batchId));
    expect(refused).toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('Tributary.sendBatch', () => {
  let invalidBatch = '';
  const body = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ id: `sb-${from + i}`, n: from + i })).join('\n');

  it('sends a gzipped NDJSON batch once; the same key and body answer the first batch again', async () => {
    const via = new Tributary({ url: proxy.url, key: f.producerKey, fetch: contractFetch });
    const first = await via.sendBatch({
      tenant: TENANT,
      stream: STREAM,
      body: body(0, 50),
      idempotencyKey: 'sendbatch-1',
      gzip: true,
    });
    expect(first).toMatchObject({ accepted: 50, rejected: 0, errors: [] });
    const sent = proxy.requests.at(-1)!;
    expect(sent.headers['content-encoding']).toBe('gzip');
    expect(sent.headers['idempotency-key']).toBe('sendbatch-1');
    expect(gunzipSync(sent.body).toString()).toBe(body(0, 50));

    const again = await via.sendBatch({
      tenant: TENANT,
      stream: STREAM,
      body: body(0, 50),
      idempotencyKey: 'sendbatch-1',
      gzip: true,
    });
    expect(again.batchId).toBe(first.batchId);
    const receipt = await f.trb.receipts.wait(TENANT, STREAM, first.batchId, { timeoutMs: 60_000 });
    expect(receipt).toMatchObject({ state: 'loaded', accepted: 50 });
  });

  it('answers a batch with no valid record (422) with its errors, and never retries a 409 conflict', async () => {
    const result = await f.trb.sendBatch({
      tenant: TENANT,
      stream: STREAM,
      body: '{"n": 1}\n{"id": 5, "n": 2}\n',
      idempotencyKey: 'sendbatch-invalid',
    });
    expect(result).toMatchObject({ accepted: 0, rejected: 2 });
    expect(result.errors.map((e) => e.index)).toEqual([0, 1]);
    invalidBatch = result.batchId;

    const retries: number[] = [];
    const conflict = await caught(
      f.trb.sendBatch({
        tenant: TENANT,
        stream: STREAM,
        body: body(100, 1),
        idempotencyKey: 'sendbatch-invalid',
        onRetry: (r) => retries.push(r.attempt),
      }),
    );
    expect(conflict).toMatchObject({ status: 409, code: 'idempotency_conflict' });
    expect(retries).toEqual([]);
  });

  it('lists the rejected records and previews the layers', async () => {
    await f.trb.receipts.wait(TENANT, STREAM, invalidBatch, { timeoutMs: 60_000 });
    const rejections = await f.trb.rejections.list(TENANT, STREAM, { limit: 10 });
    expect(rejections.rejections.map((r) => r.record)).toContainEqual({ n: 1 });
    const raw = await f.trb.records.list(TENANT, STREAM, { layer: 'raw', limit: 5 });
    expect(raw).toMatchObject({ layer: 'raw' });
    expect(raw.total).toBeGreaterThanOrEqual(50);
    expect(raw.records.length).toBe(5);
  });
});
