import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createBatchIdGenerator,
  recordIdFromBatch,
  recordIdFromKey,
} from '../../../api/domain/records/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function decodeTime(id: string): number {
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + CROCKFORD.indexOf(ch);
  return t;
}

describe('createBatchIdGenerator', () => {
  it('makes 26-char Crockford ids that start with the time', () => {
    const id = createBatchIdGenerator(() => 1_700_000_000_123)();
    expect(id).toMatch(ULID);
    expect(decodeTime(id)).toBe(1_700_000_000_123);
  });

  it('is strictly increasing within one millisecond', () => {
    const next = createBatchIdGenerator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 10_000 }, () => next());
    const outOfOrder = ids.filter((id, i) => i > 0 && id <= ids[i - 1]);
    expect(outOfOrder).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is strictly increasing whatever the clock does (repeats, jumps back)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 48 - 1000 }), { minLength: 1, maxLength: 200 }),
        (times) => {
          let i = 0;
          const next = createBatchIdGenerator(() => times[i++]);
          let prev = '';
          let maxTime = -1;
          for (let k = 0; k < times.length; k++) {
            maxTime = Math.max(maxTime, times[k]);
            const id = next();
            expect(id).toMatch(ULID);
            expect(id > prev).toBe(true);
            // The time part never runs ahead of the clock's highest reading (bar a carry overflow).
            expect(decodeTime(id)).toBe(maxTime);
            prev = id;
          }
        },
      ),
    );
  });

  it('sorts later milliseconds after earlier ones across generators', () => {
    const a = createBatchIdGenerator(() => 1000)();
    const b = createBatchIdGenerator(() => 1001)();
    expect(b > a).toBe(true);
  });

  it('refuses a time outside 48 bits', () => {
    expect(() => createBatchIdGenerator(() => -1)()).toThrow(RangeError);
    expect(() => createBatchIdGenerator(() => 2 ** 48)()).toThrow(RangeError);
    expect(() => createBatchIdGenerator(() => Number.NaN)()).toThrow(RangeError);
  });
});

describe('recordIdFromKey', () => {
  it('is deterministic, 22 base64url chars', () => {
    const id = recordIdFromKey('orders', ['o-1', 7]);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(recordIdFromKey('orders', ['o-1', 7])).toBe(id);
  });

  it('separates streams, values, value types and value positions', () => {
    const ids = new Set([
      recordIdFromKey('orders', ['a', 'b']),
      recordIdFromKey('orders', ['b', 'a']),
      recordIdFromKey('orders', ['ab']),
      recordIdFromKey('orders', ['a', 'b', null]),
      recordIdFromKey('refunds', ['a', 'b']),
      recordIdFromKey('orders', [1]),
      recordIdFromKey('orders', ['1']),
      recordIdFromKey('orders', [true]),
    ]);
    expect(ids.size).toBe(8);
  });

  it('ignores object key order and maps values as JSON does', () => {
    expect(recordIdFromKey('s', [{ a: 1, b: { c: 2, d: 3 } }])).toBe(
      recordIdFromKey('s', [{ b: { d: 3, c: 2 }, a: 1 }]),
    );
    expect(recordIdFromKey('s', [1.0])).toBe(recordIdFromKey('s', [1]));
    expect(recordIdFromKey('s', [undefined])).toBe(recordIdFromKey('s', [null]));
    expect(recordIdFromKey('s', [{ a: 1, b: undefined }])).toBe(recordIdFromKey('s', [{ a: 1 }]));
    expect(recordIdFromKey('s', [new Date('2024-01-02T03:04:05.000Z')])).toBe(
      recordIdFromKey('s', ['2024-01-02T03:04:05.000Z']),
    );
  });

  it('reads a parsed __proto__ key as plain data', () => {
    const withProto = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as unknown;
    expect(recordIdFromKey('s', [withProto])).not.toBe(recordIdFromKey('s', [{ a: 1 }]));
    expect(recordIdFromKey('s', [withProto])).toBe(
      recordIdFromKey('s', [JSON.parse('{"a": 1, "__proto__": {"x": 1}}')]),
    );
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('gives the same id for a key and its JSON round trip', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
        (stream, values) => {
          expect(recordIdFromKey(stream, JSON.parse(JSON.stringify(values)) as unknown[])).toBe(
            recordIdFromKey(stream, values),
          );
        },
      ),
    );
  });
});

describe('recordIdFromBatch', () => {
  it('joins the batch id and index', () => {
    expect(recordIdFromBatch('01HZY0000000000000000000AB', 12)).toBe('01HZY0000000000000000000AB-12');
  });
});
