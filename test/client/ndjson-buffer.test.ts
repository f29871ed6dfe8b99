import { describe, expect, it } from 'vitest';
import { NdjsonBuffer } from '../../client/ndjson-buffer.js';

const lines = (b: Buffer) => b.toString('utf8').split('\n');

describe('NdjsonBuffer', () => {
  it('builds the batch from staged and appended records, exact in bytes, multi-byte text included', () => {
    const buf = new NdjsonBuffer();
    const texts = ['{"a":1}', '{"s":"é漢😀"}', '"\\ud800"'];
    for (const t of texts) {
      const n = buf.stage(t);
      expect(n).toBe(Buffer.byteLength(t) + 1);
      buf.commit(n);
    }
    buf.append('[1,2]', 6);
    expect(buf.count).toBe(4);
    const bytes = buf.bytes;
    const batch = buf.take();
    expect(batch.byteLength).toBe(bytes);
    expect(lines(batch)).toEqual([...texts, '[1,2]', '']);
    expect([buf.count, buf.bytes]).toEqual([0, 0]);
  });

  it('stages nothing that may not fit, and append grows the buffer keeping what it held', () => {
    const buf = new NdjsonBuffer();
    const big = `"${'x'.repeat(40_000)}"`;
    expect(buf.stage(big)).toBe(0);
    const first = buf.stage('{"first":true}');
    buf.commit(first);
    buf.append(big, big.length + 1);
    const batch = buf.take();
    expect(lines(batch)).toEqual(['{"first":true}', big, '']);
  });

  it('a staged record that is not committed leaves the batch as it was', () => {
    const buf = new NdjsonBuffer();
    buf.commit(buf.stage('1'));
    buf.stage('{"dropped":true}');
    buf.commit(buf.stage('2'));
    expect(buf.take().toString('utf8')).toBe('1\n2\n');
  });
});
