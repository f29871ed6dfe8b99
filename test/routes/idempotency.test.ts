import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyRecord, IdempotencyStore } from '../../api/ports.js';
import type { IngestResult } from '../../api/domain/records/types.js';
import { createKey, createStream, createTenant, startTestStack, type TestStack } from '../support/stack.js';

/**
 * Idempotency-Key end to end on the embedded stack (dynalite catalog, durable log, DuckDB), with
 * faults injected into the real idempotency store and delivery.
 */
let t: TestStack;
let admin: string;
let producer: string;

const schema = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };

beforeAll(async () => {
  t = await startTestStack();
  admin = await createTenant(t, 'acme');
  producer = await createKey(t, 'acme', admin, { name: 'p', role: 'producer', streams: ['*'] });
  for (const name of ['conc', 'gate', 'fault', 'stale', 'large', 'fail'])
    expect((await createStream(t, 'acme', admin, { name, schema })).status).toBe(201);
});
afterAll(async () => t?.close());

const send = (stream: string, raw: string, key: string) =>
  t.call('POST', `/v1/tenants/acme/streams/${stream}/records`, {
    key: producer,
    raw,
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
  });

async function rawIds(stream: string): Promise<string[]> {
  await t.stack.services.delivery.drain();
  const res = await t.call('GET', `/v1/tenants/acme/streams/${stream}/records?layer=raw&limit=10000`, {
    key: admin,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: { id: string }[] }).records.map((r) => r.id).sort();
}

/** Replaces a method of a live service for one test and gives back a restore function. */
function patch<T extends object, K extends keyof T>(obj: T, name: K, fn: T[K]): () => void {
  const orig = obj[name];
  obj[name] = fn;
  return () => {
    obj[name] = orig;
  };
}

describe('Idempotency-Key', () => {
  it('stores concurrent same-key requests exactly once; the others get 409 with Retry-After or the replay', async () => {
    const raw = JSON.stringify([{ id: 'c1' }, { id: 'c2' }]);
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('conc', raw, 'conc-1')));
    const bodies = await Promise.all(
      answers.map(async (r) => ({ r, body: (await r.json()) as IngestResult })),
    );
    const fresh = bodies.filter(
      ({ r }) => r.status === 200 && r.headers.get('idempotent-replayed') !== 'true',
    );
    expect(fresh).toHaveLength(1);
    for (const { r, body } of bodies) {
      if (r.status === 409) {
        expect(r.headers.get('retry-after')).toBe('1');
        expect(body).toMatchObject({ code: 'idempotency_in_progress' });
      } else {
        expect(r.status).toBe(200);
        expect(body).toEqual(fresh[0].body);
      }
    }
    expect(await rawIds('conc')).toEqual(['c1', 'c2']);
  });

  it('answers 409 idempotency_in_progress while the first request is storing, then replays it', async () => {
    const delivery = t.stack.services.delivery;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const append = delivery.append.bind(delivery);
    const restore = patch(delivery, 'append', async (batch) => {
      entered();
      await gate;
      return append(batch);
    });
    try {
      const raw = JSON.stringify([{ id: 'g1' }]);
      const first = send('gate', raw, 'gate-1');
      await inside;
      const second = await send('gate', raw, 'gate-1');
      expect(second.status).toBe(409);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(second.headers.get('content-type')).toContain('application/problem+json');
      expect(await second.json()).toMatchObject({ status: 409, code: 'idempotency_in_progress' });
      open();
      const done = await first;
      expect(done.status).toBe(200);
      const body = (await done.json()) as IngestResult;
      const third = await send('gate', raw, 'gate-1');
      expect(third.headers.get('idempotent-replayed')).toBe('true');
      expect(await third.json()).toEqual(body);
    } finally {
      restore();
    }
    expect(await rawIds('gate')).toEqual(['g1']);
  });

  it('a complete() failure after the batch is stored still answers 200, and no retry stores it twice', async () => {
    const services = t.stack.services;
    const real = services.idempotency;
    let completeCalls = 0;
    const failing: IdempotencyStore = {
      claim: (r) => real.claim(r),
      takeOver: (s, n) => real.takeOver(s, n),
      release: (r) => real.release(r),
      complete: async () => {
        completeCalls++;
        throw new Error('injected: DynamoDB unavailable');
      },
    };
    const raw = JSON.stringify([{ id: 'f1' }, { id: 'f2' }, { nope: 1 }]);
    services.idempotency = failing;
    let first: IngestResult;
    try {
      const res = await send('fault', raw, 'fault-1');
      // The batch is durable: its answer stands even though the result could not be recorded.
      expect(res.status).toBe(200);
      first = (await res.json()) as IngestResult;
      expect(first).toMatchObject({ accepted: 2, rejected: 1 });
      expect(completeCalls).toBe(3);
    } finally {
      services.idempotency = real;
    }
    // At once: the claim is still held (pending), so the retry is told to wait, not stored again.
    const soon = await send('fault', raw, 'fault-1');
    expect(soon.status).toBe(409);
    expect(soon.headers.get('retry-after')).toBe('1');
    // After the in-progress expiry the claim is stale; the retry finds the batch stored and answers for it.
    const now = services.now;
    services.now = () => new Date(Date.now() + 61_000);
    try {
      const later = await send('fault', raw, 'fault-1');
      expect(later.status).toBe(200);
      expect(later.headers.get('idempotent-replayed')).toBe('true');
      expect(await later.json()).toEqual(first);
      const again = await send('fault', raw, 'fault-1');
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(first);
    } finally {
      services.now = now;
    }
    expect(await rawIds('fault')).toEqual(['f1', 'f2']);
    const rej = await t.call('GET', '/v1/tenants/acme/streams/fault/rejections', { key: admin });
    expect(((await rej.json()) as { total: number }).total).toBe(1);
  });

  it('two retries racing for a stale claim: exactly one takes it over and stores', async () => {
    const raw = JSON.stringify([{ id: 's1' }]);
    const services = t.stack.services;
    // A claim left by a request that died before storing anything (its batch has no receipt).
    const dead: IdempotencyRecord = {
      tenant: 'acme',
      stream: 'stale',
      key: 'stale-1',
      fingerprint: `${createHash('sha256').update(raw).digest('hex')}:partial`,
      state: 'pending',
      token: 'dead-request',
      createdAt: new Date(Date.now() - 120_000).toISOString(),
      batchId: services.ingest.nextBatchId(),
    };
    expect(await services.idempotency.claim(dead)).toBeUndefined();
    const answers = await Promise.all(Array.from({ length: 4 }, () => send('stale', raw, 'stale-1')));
    const fresh = answers.filter((r) => r.status === 200 && r.headers.get('idempotent-replayed') !== 'true');
    expect(fresh).toHaveLength(1);
    const body = (await fresh[0].json()) as IngestResult;
    expect(body.batchId).not.toBe(dead.batchId);
    for (const r of answers) {
      if (r === fresh[0]) continue;
      expect([200, 409]).toContain(r.status);
      if (r.status === 409) expect(r.headers.get('retry-after')).toBe('1');
      else expect(((await r.json()) as IngestResult).batchId).toBe(body.batchId);
    }
    expect(await rawIds('stale')).toEqual(['s1']);
  });

  it('releases the claim when nothing was stored, so the retry stores the batch once', async () => {
    const delivery = t.stack.services.delivery;
    const { DependencyUnavailableError } = await import('../../api/domain/errors.js');
    const restore = patch(delivery, 'append', () =>
      Promise.reject(new DependencyUnavailableError('injected: delivery down', 1)),
    );
    const raw = JSON.stringify([{ id: 'x1' }]);
    try {
      const res = await send('fail', raw, 'fail-1');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      restore();
    }
    const retry = await send('fail', raw, 'fail-1');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await rawIds('fail')).toEqual(['x1']);
  });

  it('bounds the errors of a large, partly rejected batch; the first answer and the replay are the same body', async () => {
    const records = Array.from({ length: 10_000 }, (_, i) =>
      i % 10 === 0 ? { id: `l${i}` } : { id: i, [`k${'x'.repeat(200)}`]: 1 },
    );
    const raw = JSON.stringify(records);
    const res = await send('large', raw, 'large-1');
    expect(res.status).toBe(200);
    const text = await res.text();
    const first = JSON.parse(text) as IngestResult;
    expect(first).toMatchObject({ accepted: 1000, rejected: 9000, errorsTruncated: true, errorsTotal: 9000 });
    expect(first.errors).toHaveLength(100);
    expect(first.errors[0]).toEqual({ index: 1, path: expect.any(String), message: expect.any(String) });
    // Far below DynamoDB's 400 KB item limit, whatever the errors say.
    expect(Buffer.byteLength(text)).toBeLessThan(70 * 1024);
    const replay = await send('large', raw, 'large-1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe(text);
  });
});
