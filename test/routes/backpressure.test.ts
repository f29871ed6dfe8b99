import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, createTenant, startTestStack, type TestStack } from '../support/stack.js';

/** Buffers past their limit: 429 with Retry-After, nothing stored, and the retry is not a "duplicate". */
let t: TestStack;
let key: string;

beforeAll(async () => {
  // One byte of buffer and a long interval: after one accepted batch the buffers are "full" until drained.
  t = await startTestStack({
    TRIBUTARY_BUFFER_HIGH_WATERMARK_BYTES: '1',
    TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '60',
    // Long enough that the hold test below does not race a slow machine; refusals take this long.
    TRIBUTARY_ADMIT_WAIT_MS: '1000',
  });
  key = await createTenant(t, 'acme');
  await createStream(t, 'acme', key, {
    name: 'events',
    schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    dedupe: { key: ['id'] },
  });
});
afterAll(async () => t?.close());

const post = (ids: string[]) =>
  t.call('POST', '/v1/tenants/acme/streams/events/records', { key, body: ids.map((id) => ({ id })) });

describe('backpressure', () => {
  it('answers 429 with Retry-After when buffers are full, and counts no duplicates for the retry', async () => {
    expect((await post(['a'])).status).toBe(200);
    const refused = await post(['b', 'c']);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { code: string }).code).toBe('overloaded');

    await t.stack.services.delivery.drain();
    const retried = await post(['b', 'c']);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ accepted: 2, duplicates: 0 });
    await t.stack.services.delivery.drain();
    const raw = (await (await t.call('GET', '/v1/tenants/acme/streams/events/records', { key })).json()) as {
      total: number;
    };
    expect(raw.total).toBe(3);
  });

  it('holds a request briefly while buffers are full and takes it once they drain, instead of a 429', async () => {
    expect((await post(['e'])).status).toBe(200);
    const held = post(['f']);
    // Drain only once the request is waiting in admission (in flight, body unread); a request that
    // was refused at once would never be seen in flight and fails below with its 429.
    const inFlight = t.stack.services.ingest.inFlight;
    const end = Date.now() + 900;
    while (inFlight.count === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(inFlight.count).toBe(1);
    await t.stack.services.delivery.drain();
    const res = await held;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1 });
    await t.stack.services.delivery.drain();
  });

  it('refuses before reading the body: a full buffer answers 429 even to a body that would be a 400', async () => {
    expect((await post(['d'])).status).toBe(200);
    const refused = await t.call('POST', '/v1/tenants/acme/streams/events/records', {
      key,
      raw: '[{"id": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.status).toBe(429);
    await t.stack.services.delivery.drain();
    const malformed = await t.call('POST', '/v1/tenants/acme/streams/events/records', {
      key,
      raw: '[{"id": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
  });
});
