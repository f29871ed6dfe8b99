import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../../api/domain/errors.js';
import { gzip, parse } from './helpers.js';

const CONTENT_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'text/plain',
];

const records = fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 15 });

type Form = 'array' | 'envelope' | 'ndjson';

function encode(
  recs: unknown[],
  form: Form,
  crlf: boolean,
  blankLines: boolean,
): { body: string; contentType: string } {
  if (form === 'array')
    return { body: JSON.stringify(recs, null, crlf ? 1 : undefined), contentType: 'application/json' };
  if (form === 'envelope')
    return { body: JSON.stringify({ records: recs }), contentType: 'application/json' };
  const eol = crlf ? '\r\n' : '\n';
  const lines = recs.map((r) => JSON.stringify(r));
  return { body: lines.join(blankLines ? `${eol}${eol}` : eol) + eol, contentType: 'application/x-ndjson' };
}

function isDomainError(e: unknown): boolean {
  return (
    e instanceof InvalidInputError ||
    e instanceof PayloadTooLargeError ||
    e instanceof UnsupportedMediaTypeError
  );
}

/** Text made mostly of JSON's structural characters, so it is often nearly valid. */
const jsonish = fc.string({
  unit: fc.constantFrom(
    '[',
    ']',
    '{',
    '}',
    '"',
    '\\',
    ',',
    ':',
    '1',
    '0',
    'a',
    ' ',
    '\n',
    '\r',
    'e',
    '-',
    '.',
    'null',
    'true',
    'é',
    '\u2028',
    'records',
  ),
  maxLength: 60,
});

describe('parseRecordsBody properties', () => {
  it('round-trips any records through every body form, with and without gzip, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        records,
        fc.constantFrom<Form>('array', 'envelope', 'ndjson'),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        async (recs, form, crlf, blankLines, gzipped, chunkSize) => {
          const { body, contentType } = encode(recs, form, crlf, blankLines);
          const out = await parse(gzipped ? gzip(body) : body, {
            contentType,
            contentEncoding: gzipped ? 'gzip' : undefined,
            chunkSize,
          });
          // Through JSON text once, so -0 becomes 0 exactly as the body carries it.
          expect(out.records).toEqual(JSON.parse(JSON.stringify(recs)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('throws nothing but domain errors for arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          jsonish.map((s) => Buffer.from(s)),
        ),
        fc.constantFrom(...CONTENT_TYPES),
        fc.constantFrom(undefined, 'gzip', 'identity'),
        fc.boolean(),
        async (bytes, contentType, contentEncoding, gzipIt) => {
          const body = gzipIt && contentEncoding === 'gzip' ? gzip(bytes) : bytes;
          try {
            const out = await parse(body, { contentType, contentEncoding });
            expect(out.records.length).toBeGreaterThan(0);
          } catch (e) {
            expect(isDomainError(e), String(e)).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('accepts a JSON body exactly when JSON.parse gives a non-empty array or {"records": [...]} (within limits)', async () => {
    await fc.assert(
      fc.asyncProperty(
        jsonish,
        fc.record({
          maxDepth: fc.integer({ min: 1, max: 4 }),
          maxRecords: fc.integer({ min: 1, max: 4 }),
          maxRecordBytes: fc.integer({ min: 1, max: 30 }),
        }),
        async (text, limits) => {
          let expected: unknown[] | undefined;
          try {
            const v: unknown = JSON.parse(text);
            if (Array.isArray(v)) expected = v;
            else if (typeof v === 'object' && v !== null && Object.keys(v).join() === 'records') {
              const r = (v as { records: unknown }).records;
              if (Array.isArray(r)) expected = r;
            }
          } catch {
            expected = undefined;
          }
          try {
            const out = await parse(text, { limits });
            expect(expected).toBeDefined();
            expect(out.records).toEqual(expected);
          } catch (e) {
            expect(isDomainError(e), String(e)).toBe(true);
            // A limit may refuse valid JSON. Invalid JSON is refused as such, except that the record
            // count (like the body size) is enforced before the text is parsed.
            if (expected === undefined || expected.length === 0) {
              const countedFirst = e instanceof PayloadTooLargeError && e.limit === 'maxRecords';
              if (!countedFirst) expect(e).toBeInstanceOf(InvalidInputError);
            } else if (e instanceof InvalidInputError)
              expect(e.message).toMatch(/maxDepth|duplicate "records"/);
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  it('never lets a refused limit go unnamed', async () => {
    await fc.assert(
      fc.asyncProperty(records, fc.integer({ min: 1, max: 40 }), async (recs, maxRecordBytes) => {
        const body = recs.map((r) => JSON.stringify(r)).join('\n');
        try {
          await parse(body, { contentType: 'application/x-ndjson', limits: { maxRecordBytes } });
          for (const r of recs)
            expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThanOrEqual(maxRecordBytes);
        } catch (e) {
          if (e instanceof PayloadTooLargeError) {
            expect(e.limit).toBe('maxRecordBytes');
            expect(e.message).toMatch(/line \d+ is \d+ bytes/);
          } else {
            // Depth 4 values can still breach nothing else; anything else is a bug.
            throw e;
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
