import { describe, expect, it } from 'vitest';
import { BatchBuffer } from '../../client/batch-buffer.js';

const records = (b: Buffer) => JSON.parse(b.toString('utf8')) as unknown[];

describe('BatchBuffer', () => {
  it('builds a JSON array from staged and appended records, exact in bytes, multi-byte text included', () => {
    const buf = new BatchBuffer();
    const values = [{ a: 1 }, { s: 'é漢😀' }, '\ud800'];
    for (const v of values) {
      const t = JSON.stringify(v);
      const n = buf.stage(t);
      expect(n).toBe(Buffer.byteLength(t) + 1);
      buf.commit(n);
    }
    buf.append('[1,2]', 6);
    expect(buf.count).toBe(4);
    const bytes = buf.bytes;
    const batch = buf.take();
    expect(batch.byteLength).toBe(bytes + 1);
    expect(records(batch)).toEqual([...values, [1, 2]]);
    expect([buf.count, buf.bytes]).toEqual([0, 0]);
  });

  it('stages nothing that may not fit, and append grows the buffer keeping what it held', () => {
    const buf = new BatchBuffer();
    const big = `"${'x'.repeat(40_000)}"`;
    expect(buf.stage(big)).toBe(0);
    const first = buf.stage('{"first":true}');
    buf.commit(first);
    buf.append(big, big.length + 1);
    const batch = buf.take();
    expect(records(batch)).toEqual([{ first: true }, 'x'.repeat(40_000)]);
  });

  it('a staged record that is not committed leaves the batch as it was', () => {
    const buf = new BatchBuffer();
    buf.commit(buf.stage('1'));
    buf.stage('{"dropped":true}');
    buf.commit(buf.stage('2'));
    expect(buf.take().toString('utf8')).toBe('[1,2]');
  });

  it('starts every batch afresh, so a batch handed over is never written again', () => {
    const buf = new BatchBuffer();
    buf.commit(buf.stage('"one"'));
    const first = buf.take();
    buf.commit(buf.stage('"two"'));
    buf.append('"three"', 8);
    expect(buf.take().toString('utf8')).toBe('["two","three"]');
    expect(first.toString('utf8')).toBe('["one"]');
  });
});
