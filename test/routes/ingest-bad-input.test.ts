import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStream, createTenant, startTestStack, type TestStack } from '../support/stack.js';

/** The bad-input matrix: every case is a 4xx naming the problem; none is a 5xx or leaks a stack trace. */
let t: TestStack;
let key: string;

beforeAll(async () => {
  t = await startTestStack({
    TRIBUTARY_MAX_BODY_BYTES: '20000',
    TRIBUTARY_MAX_DECOMPRESSED_BYTES: '40000',
    TRIBUTARY_MAX_RECORD_BYTES: '2000',
    TRIBUTARY_MAX_RECORDS: '50',
  });
  key = await createTenant(t, 'acme');
  await createStream(t, 'acme', key, {
    name: 'events',
    schema: {
      type: 'object',
      properties: { id: { type: 'string' }, n: { type: 'integer' } },
      required: ['id'],
    },
  });
});
afterAll(async () => t?.close());

const send = (raw: BodyInit | undefined, headers: Record<string, string>, query = '') =>
  t.call('POST', `/v1/tenants/acme/streams/events/records${query}`, { key, raw, headers });
const json = { 'content-type': 'application/json' };

let nested = '';
for (let i = 0; i < 5000; i++) nested += '[';
nested += '1';
for (let i = 0; i < 5000; i++) nested += ']';

const cases: Array<[string, () => Promise<Response>, number, RegExp]> = [
  ['no content type', () => send('[{"id":"a"}]', {}), 415, /application\/json/],
  ['text/plain', () => send('[{"id":"a"}]', { 'content-type': 'text/plain' }), 415, /application\/json/],
  ['unknown encoding', () => send('[{"id":"a"}]', { ...json, 'content-encoding': 'br' }), 415, /br/],
  ['malformed JSON', () => send('[{"id":"a"},', json), 400, /offset|position/i],
  [
    'malformed NDJSON names the line',
    () => send('{"id":"a"}\n{"id":"b"}\n{"id":', { 'content-type': 'application/x-ndjson' }),
    400,
    /line 3/,
  ],
  ['a JSON object that is not {records}', () => send('{"id":"a"}', json), 400, /records|array/],
  ['empty batch', () => send('[]', json), 400, /no records|empty/i],
  ['empty body', () => send('', json), 400, /empty|no records/i],
  [
    'body over maxBodyBytes',
    () => send(JSON.stringify([{ id: 'x'.repeat(25_000) }]), json),
    413,
    /maxBodyBytes/,
  ],
  [
    'gzip bomb over maxDecompressedBytes',
    () =>
      send(gzipSync(Buffer.from('[' + '{"id":"aaaaaaaa"},'.repeat(20_000) + '{"id":"z"}]')), {
        ...json,
        'content-encoding': 'gzip',
      }),
    413,
    /maxDecompressedBytes/,
  ],
  [
    'corrupt gzip',
    () => send(Buffer.from('not gzip at all'), { ...json, 'content-encoding': 'gzip' }),
    400,
    /gzip/i,
  ],
  [
    'record over maxRecordBytes',
    () => send(JSON.stringify([{ id: 'y'.repeat(3000) }]), json),
    413,
    /maxRecordBytes/,
  ],
  [
    'too many records',
    () => send(JSON.stringify(Array.from({ length: 51 }, (_, i) => ({ id: String(i) }))), json),
    413,
    /maxRecords/,
  ],
  ['deep nesting', () => send(`[{"id":"a","deep":${nested}}]`, json), 400, /depth|nest/i],
  [
    'bad Idempotency-Key',
    () => send('[{"id":"a"}]', { ...json, 'idempotency-key': 'has spaces!' }),
    400,
    /Idempotency-Key/,
  ],
  ['bad atomic flag', () => send('[{"id":"a"}]', json, '?atomic=maybe'), 400, /atomic/],
  [
    'atomic flag given twice',
    () => send('[{"id":"a"}]', json, '?atomic=true&atomic=false'),
    400,
    /query\.atomic: given 2 times/,
  ],
  [
    'unknown stream',
    () =>
      t.call('POST', '/v1/tenants/acme/streams/nope/records', { key, raw: '[{"id":"a"}]', headers: json }),
    404,
    /nope/,
  ],
  [
    'bad stream name',
    () => t.call('POST', '/v1/tenants/acme/streams/No-Pe/records', { key, raw: '[]', headers: json }),
    400,
    /stream name/,
  ],
];

describe('ingest bad-input matrix', () => {
  it.each(cases)('%s → %i', async (_name, run, status, detail) => {
    const res = await run();
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(text).toMatch(detail);
    expect(text).not.toMatch(/\n\s+at /); // no stack traces
  });

  it('rejects non-object records one by one with 422, naming the index', async () => {
    const res = await send('[1, "two", null, []]', json);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { rejected: number; errors: { index: number }[] };
    expect(body.rejected).toBe(4);
    expect(body.errors.map((e) => e.index)).toEqual([0, 1, 2, 3]);
  });

  it('keeps __proto__ as an ordinary undeclared field without polluting prototypes', async () => {
    const res = await send(
      '[{"id":"p1","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}]',
      json,
    );
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await t.stack.services.delivery.drain();
    const rows = (await (await t.call('GET', '/v1/tenants/acme/streams/events/records', { key })).json()) as {
      records: Record<string, unknown>[];
    };
    const row = rows.records.find((r) => r.id === 'p1')!;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('takes the last value of a duplicate key, as JSON.parse does (documented rule)', async () => {
    const res = await send('[{"id":"dup","n":1,"n":2}]', json);
    expect(res.status).toBe(200);
    await t.stack.services.delivery.drain();
    const rows = (await (await t.call('GET', '/v1/tenants/acme/streams/events/records', { key })).json()) as {
      records: Record<string, unknown>[];
    };
    expect(rows.records.find((r) => r.id === 'dup')?.n).toBe(2);
  });
});
