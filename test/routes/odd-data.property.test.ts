import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../api/domain/records/types.js';
import { createKey, createStream, createTenant, startTestStack, type TestStack } from '../support/stack.js';

/**
 * The text policy end to end, on the real stack (dynalite, durable log, lake, loader, DuckDB).
 * Generated batches mix clean records with odd ones (lone surrogates in values and keys, U+0000,
 * integers past 2^53, 1e308, -0, 1e400, system-field keys, emoji, right-to-left text, deep nesting,
 * very long strings, empty keys) in several body shapes, while another producer sends clean batches
 * into the same buffer window. Every accepted record must load into raw exactly as validated, every
 * rejected one must reach quarantine with the path of its problem, and nothing may answer 5xx.
 */

const RUNS = 60;

/** A piece of JSON text, and the JSON Pointer paths (relative to where it sits) the policy must name. */
interface Piece {
  text: string;
  problems: string[];
}

const clean = (text: string): Piece => ({ text, problems: [] });
const odd = (text: string): Piece => ({ text, problems: [''] });

const LONG = 'long ✓ '.repeat(3000);
const cleanStrings = fc.constantFrom(
  '"plain"',
  '""',
  '"emoji 😀👍🏽🇸🇪 family 👨‍👩‍👧"',
  '"escaped pair \\ud83d\\ude00"',
  '"שלום עולם — مرحبا بالعالم"',
  '"\\u202eRTL override\\u202c"',
  '"nul \\u0000 inside"',
  '"\\u0000"',
  '"not a surrogate \\\\ud800"',
  '"noncharacters \\uffff\\ufffe"',
  '"line\\nbreak\\ttab\\"quote\\\\"',
  `"${LONG}"`,
);
const cleanNumbers = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.maxSafeInteger().map(String),
  fc.constantFrom(
    '-0',
    '-0.0',
    '1e308',
    '-1e308',
    '1e-400',
    '9007199254740992',
    '100000000000000000000',
    '1.50',
  ),
);
const oddValues = fc.constantFrom(
  '"\\ud800"',
  '"tail \\udfff"',
  '"\\udc00\\ud800"',
  '1e400',
  '-1e400',
  '9007199254740993',
  '-12345678901234567890',
);
const cleanKeys = fc.constantFrom('a', 'b', '', 'ключ', '😀', 'a/b~c', 'שלום', ' ', '\\u0000');
/** A key's JSON text and its path segment (lone surrogates shown as text, RFC 6901 escapes). */
const keyPointer: Record<string, string> = {
  'a/b~c': 'a~1b~0c',
  '\\u0000': '\u0000',
  'k\\ud800': 'k\\ud800',
};
const pointer = (key: string) => keyPointer[key] ?? key;

const leaf: fc.Arbitrary<Piece> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.oneof(cleanStrings, cleanNumbers, fc.constantFrom('true', 'false', 'null')).map(clean),
  },
  { weight: 1, arbitrary: oddValues.map(odd) },
);

function objectOf(entries: Array<[string, Piece]>): Piece {
  const problems: string[] = [];
  for (const [key, piece] of entries) {
    const at = `/${pointer(key)}`;
    if (key === 'k\\ud800') problems.push(at);
    problems.push(...piece.problems.map((p) => at + p));
  }
  return { text: `{${entries.map(([k, p]) => `"${k}":${p.text}`).join(',')}}`, problems };
}

function arrayOf(items: Piece[]): Piece {
  return {
    text: `[${items.map((p) => p.text).join(',')}]`,
    problems: items.flatMap((p, i) => p.problems.map((q) => `/${i}${q}`)),
  };
}

const key = fc.oneof({ weight: 8, arbitrary: cleanKeys }, { weight: 1, arbitrary: fc.constant('k\\ud800') });

const tree: fc.Arbitrary<Piece> = fc.letrec<{ node: Piece }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map(objectOf),
    fc.array(tie('node'), { maxLength: 4 }).map(arrayOf),
  ),
})).node;

/** A chain of containers around a piece: with the record and meta, up to the 32-level limit exactly. */
const deep: fc.Arbitrary<Piece> = fc.tuple(fc.integer({ min: 10, max: 31 }), leaf).map(([depth, inner]) => {
  let piece = inner;
  for (let d = 0; d < depth; d++) piece = d % 2 ? arrayOf([piece]) : objectOf([['d', piece]]);
  return piece;
});

const isoDate = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => JSON.stringify(d.toISOString()));

const extraKeys = fc.constantFrom(
  'x',
  'ünï',
  '',
  '😀',
  'k\\ud800',
  '_id',
  '_Batch_ID',
  '_received_at',
  '_meta',
);

/** One record's fields; the id is added when the batch is posted. */
const recordFields: fc.Arbitrary<Array<[string, Piece]>> = fc
  .record(
    {
      n: cleanNumbers.map(clean),
      i: fc.maxSafeInteger().map((n) => clean(String(n))),
      s: cleanStrings.map(clean),
      at: isoDate.map(clean),
      meta: fc.oneof(tree, deep).map((p) => (p.text.startsWith('{') ? p : objectOf([['v', p]]))),
      tags: fc.array(cleanStrings, { maxLength: 3 }).map((ss) => arrayOf(ss.map(clean))),
      extras: fc.array(fc.tuple(extraKeys, fc.oneof(leaf, tree)), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  )
  .map(({ extras, ...declared }) => {
    const fields: Array<[string, Piece]> = Object.entries(declared);
    for (const [k, piece] of extras ?? []) {
      const reserved = ['_id', '_batch_id', '_received_at'].includes(k.toLowerCase());
      fields.push([k, reserved ? { text: piece.text, problems: ['', ...piece.problems] } : piece]);
    }
    return fields;
  });

type Shape = 'array' | 'envelope' | 'pretty' | 'ndjson' | 'ndjson-crlf' | 'gzip';
const shapes = fc.constantFrom<Shape>('array', 'envelope', 'pretty', 'ndjson', 'ndjson-crlf', 'gzip');

function body(shape: Shape, texts: string[]): { raw: BodyInit; headers: Record<string, string> } {
  const json = { 'content-type': 'application/json' };
  switch (shape) {
    case 'array':
      return { raw: `[${texts.join(',')}]`, headers: json };
    case 'envelope':
      return { raw: `{"records":[${texts.join(',')}]}`, headers: json };
    case 'pretty':
      return {
        raw: `[\n  ${texts.map((t) => t.replace(/,"/g, ',\n    "')).join(',\n  ')}\n]`,
        headers: json,
      };
    case 'ndjson':
      return { raw: texts.join('\n') + '\n', headers: { 'content-type': 'application/x-ndjson' } };
    case 'ndjson-crlf':
      return { raw: texts.join('\r\n'), headers: { 'content-type': 'application/x-ndjson' } };
    case 'gzip':
      return {
        raw: new Uint8Array(gzipSync(`[${texts.join(',')}]`)),
        headers: { ...json, 'content-encoding': 'gzip' },
      };
  }
}

interface Expected {
  id: string;
  stream: string;
  /** JSON.parse of the text sent: what the validator saw. */
  value: Record<string, unknown>;
  problems: string[];
  batchId?: string;
  index: number;
}

type Row = Record<string, unknown>;
type Rejection = {
  record: unknown;
  errors: { path: string; message: string }[];
  batchId: string;
  index: number;
};

let t: TestStack;
let admin: string;
let producer: string;
let other: string;

const schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    n: { type: 'number' },
    i: { type: 'integer' },
    s: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    meta: { type: 'object' },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['id'],
};
const DECLARED = Object.keys(schema.properties);
const SYSTEM = ['_id', '_batch_id', '_received_at', '_schema_version'];

beforeAll(async () => {
  t = await startTestStack();
  admin = await createTenant(t, 'acme');
  producer = await createKey(t, 'acme', admin, { name: 'odd', role: 'producer', streams: ['*'] });
  other = await createKey(t, 'acme', admin, { name: 'clean', role: 'producer', streams: ['*'] });
  for (const name of ['odd', 'plain']) {
    const res = await createStream(t, 'acme', admin, { name, schema });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => t?.close());

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 45_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function get<T>(path: string): Promise<T> {
  const res = await t.call('GET', `/v1/tenants/acme/streams/${path}`, { key: admin });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** What raw should hold for an accepted record: every declared column (null when absent), then extras. */
function expectedRow(value: Record<string, unknown>): Row {
  // Through JSON once: -0 is written and read back as 0 (JSON has one zero).
  const v = JSON.parse(JSON.stringify(value)) as Row;
  const row: Row = {};
  for (const name of DECLARED) row[name] = v[name] ?? null;
  if (typeof row.at === 'string') row.at = new Date(row.at).toISOString();
  for (const [k, x] of Object.entries(v)) if (!DECLARED.includes(k)) row[k] = x;
  return row;
}

describe('odd data end to end', () => {
  it('stores accepted records exactly as validated, quarantines the rest by path, and never blocks a window', async () => {
    const expected: Expected[] = [];
    let nextId = 0;
    let cases = 0;
    let oddRecords = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.array(recordFields, { minLength: 1, maxLength: 10 }),
        shapes,
        fc.integer({ min: 1, max: 8 }),
        async (records, shape, cleanCount) => {
          cases++;
          const batch = records.map((fields, index): Expected & { text: string } => {
            const id = `r${nextId++}`;
            const piece = objectOf([['id', clean(JSON.stringify(id))], ...fields]);
            return {
              id,
              stream: 'odd',
              text: piece.text,
              value: JSON.parse(piece.text) as Record<string, unknown>,
              problems: piece.problems,
              index,
            };
          });
          const plain = Array.from({ length: cleanCount }, (_, index): Expected & { text: string } => {
            const id = `c${nextId++}`;
            const value = { id, n: index + 0.5, s: 'clean', tags: ['a'] };
            return { id, stream: 'plain', text: JSON.stringify(value), value, problems: [], index };
          });
          const { raw, headers } = body(
            shape,
            batch.map((r) => r.text),
          );
          // The clean batches go to the same stream and to another one, in the same buffer window.
          const [res, sameStream, otherStream] = await Promise.all([
            t.call('POST', '/v1/tenants/acme/streams/odd/records', { key: producer, raw, headers }),
            t.call('POST', '/v1/tenants/acme/streams/odd/records', {
              key: other,
              body: plain.map((p) => ({ ...p.value, id: `${p.id}s` })),
            }),
            t.call('POST', '/v1/tenants/acme/streams/plain/records', {
              key: other,
              body: plain.map((p) => p.value),
            }),
          ]);
          for (const r of [res, sameStream, otherStream]) expect(r.status).toBeLessThan(500);
          expect(sameStream.status).toBe(200);
          expect(otherStream.status).toBe(200);

          const answer = (await res.json()) as IngestResult;
          const rejected = batch.filter((r) => r.problems.length > 0);
          oddRecords += rejected.length;
          expect(res.status).toBe(rejected.length === batch.length ? 422 : 200);
          expect(answer.accepted).toBe(batch.length - rejected.length);
          expect(answer.rejected).toBe(rejected.length);
          for (const r of batch) {
            const paths = answer.errors.filter((e) => e.index === r.index).map((e) => e.path);
            expect(new Set(paths)).toEqual(new Set(r.problems));
            r.batchId = answer.batchId;
            expected.push(r);
          }
          const sameId = ((await sameStream.json()) as IngestResult).batchId;
          const otherId = ((await otherStream.json()) as IngestResult).batchId;
          for (const p of plain) {
            expected.push({
              ...p,
              stream: 'odd',
              id: `${p.id}s`,
              value: { ...p.value, id: `${p.id}s` },
              batchId: sameId,
            });
            expected.push({ ...p, batchId: otherId });
          }
        },
      ),
      { numRuns: RUNS },
    );
    console.log(
      `odd-data property: ${cases} generated batches, ${expected.length} records (${oddRecords} rejected by the text policy)`,
    );
    expect(cases).toBe(RUNS);

    for (const stream of ['odd', 'plain']) {
      const mine = expected.filter((e) => e.stream === stream);
      const accepted = mine.filter((e) => e.problems.length === 0);
      const rejected = mine.filter((e) => e.problems.length > 0);

      const raw = await until(
        () => get<{ total: number; records: Row[] }>(`${stream}/records?layer=raw&limit=10000`),
        (r) => r.total >= accepted.length,
      );
      expect(raw.total).toBe(accepted.length);
      const byId = new Map(raw.records.map((r) => [String(r.id), r]));
      for (const e of accepted) {
        const row = byId.get(e.id);
        expect(row, `record ${e.id} in raw`).toBeDefined();
        const stored: Row = { ...row };
        for (const name of SYSTEM) delete stored[name];
        expect(stored, `record ${e.id}`).toEqual(expectedRow(e.value));
        expect(row?._batch_id).toBe(e.batchId);
      }

      const q = await until(
        () => get<{ total: number; rejections: Rejection[] }>(`${stream}/rejections?limit=10000`),
        (r) => r.total >= rejected.length,
      );
      expect(q.total).toBe(rejected.length);
      const byPlace = new Map(q.rejections.map((r) => [`${r.batchId}/${r.index}`, r]));
      for (const e of rejected) {
        const r = byPlace.get(`${e.batchId}/${e.index}`);
        expect(r, `rejection of ${e.id}`).toBeDefined();
        expect((r?.record as Row).id).toBe(e.id);
        expect(new Set(r?.errors.map((x) => x.path))).toEqual(new Set(e.problems));
      }
    }
  });
});
