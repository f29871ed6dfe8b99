import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIREHOSE_LIMITS, packLines, planCalls } from '../../../api/adapters/firehose/pack.js';
import { PayloadTooLargeError } from '../../../api/domain/errors.js';
import { blockOfLines } from '../../../api/domain/records/ndjson-block.js';
import { linesOf } from './harness.js';

const pack = (lines: string[], max: number) => packLines(blockOfLines(lines), max);

describe('packLines', () => {
  it('packs many lines into one newline-terminated record', () => {
    const chunks = pack(['{"a":1}', '{"b":"é"}', '{}'], 1024);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].toString('utf8')).toBe('{"a":1}\n{"b":"é"}\n{}\n');
  });

  it('closes a record exactly at the byte limit and never splits a line', () => {
    // Each line is 9 bytes + newline; multibyte characters count in bytes.
    const line = '"ééééééé"'; // 2 quotes + 7 × 2 bytes = 16 bytes
    expect(Buffer.byteLength(line)).toBe(16);
    const chunks = pack([line, line, line, line, line], 34);
    expect(chunks.map((c) => c.length)).toEqual([34, 34, 17]);
    expect(linesOf(chunks)).toEqual([line, line, line, line, line]);
  });

  it('returns nothing for no lines', () => {
    expect(pack([], FIREHOSE_LIMITS.maxRecordBytes)).toEqual([]);
  });

  it('refuses a line that cannot fit a record alone, naming maxRecordBytes', () => {
    const line = 'x'.repeat(FIREHOSE_LIMITS.maxRecordBytes);
    const err = (() => {
      try {
        pack(['{}', line], FIREHOSE_LIMITS.maxRecordBytes);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as PayloadTooLargeError).limit).toBe('maxRecordBytes');
    expect((err as PayloadTooLargeError).limitValue).toBe(FIREHOSE_LIMITS.maxRecordBytes - 1);
    // One byte less fits exactly, with its newline.
    const fits = pack([line.slice(1)], FIREHOSE_LIMITS.maxRecordBytes);
    expect(fits[0].length).toBe(FIREHOSE_LIMITS.maxRecordBytes);
  });

  it('keeps every line, in order, within the limit (property)', () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => JSON.stringify(s));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), fc.integer({ min: 90, max: 400 }), (lines, max) => {
        const chunks = pack(lines, max);
        expect(linesOf(chunks)).toEqual(lines);
        for (const c of chunks) {
          expect(c.length).toBeLessThanOrEqual(max);
          expect(c[c.length - 1]).toBe(0x0a);
        }
        // Greedy: no record could have taken the next record's first line.
        for (let i = 0; i + 1 < chunks.length; i++) {
          const nextFirst = chunks[i + 1].subarray(0, chunks[i + 1].indexOf(0x0a) + 1);
          expect(chunks[i].length + nextFirst.length).toBeGreaterThan(max);
        }
      }),
    );
  });
});

describe('planCalls', () => {
  const limits = { maxRecordBytes: 100, maxRecordsPerCall: 3, maxBytesPerCall: 250 };

  it('splits on the record count', () => {
    const calls = planCalls([1, 1, 1, 1, 1, 1, 1], (n) => n, limits);
    expect(calls.map((c) => c.length)).toEqual([3, 3, 1]);
  });

  it('splits on the byte total, never past it', () => {
    const calls = planCalls([100, 100, 60, 100, 50, 100], (n) => n, limits);
    expect(calls).toEqual([[100, 100], [60, 100, 50], [100]]);
    for (const c of calls) expect(c.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(limits.maxBytesPerCall);
  });

  it('fits four full Firehose records in one call at the real limits', () => {
    const full = FIREHOSE_LIMITS.maxRecordBytes;
    const calls = planCalls([full, full, full, full, full], (n) => n, FIREHOSE_LIMITS);
    expect(calls.map((c) => c.length)).toEqual([4, 1]);
  });
});
