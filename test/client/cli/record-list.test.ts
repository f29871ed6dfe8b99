import { describe, expect, it } from 'vitest';
import { RecordList } from '../../../client/cli/push/record-list.js';

describe('RecordList', () => {
  const texts = ['{"a":1}', '{"s":"é漢"}', '[1,{"b":null}]', '"x"'];

  it('gives back each record and its line, and the NDJSON and JSON array bodies, across growth', () => {
    // A tiny first buffer and more records than the first index arrays hold: both have to grow.
    const list = new RecordList(8);
    const many = Array.from({ length: 150 }, (_, i) => texts[i % texts.length]);
    many.forEach((t, i) => list.push(Buffer.from(t), 10 + 2 * i));
    expect(list.length).toBe(150);
    many.forEach((t, i) => {
      expect(list.text(i).toString('utf8')).toBe(t);
      expect(list.line(i)).toBe(10 + 2 * i);
    });
    expect(list.ndjson().toString('utf8')).toBe(many.map((t) => `${t}\n`).join(''));
    expect(list.bytes).toBe(Buffer.byteLength(many.map((t) => `${t}\n`).join('')));
    expect(JSON.parse(list.jsonArray().toString('utf8'))).toEqual(many.map((t): unknown => JSON.parse(t)));
    expect(list.jsonArray().toString('utf8')).toBe(`[${many.join(',')}]`);
  });

  it('makes an empty JSON array and an empty NDJSON body of no records', () => {
    const list = new RecordList();
    expect(list.jsonArray().toString()).toBe('[]');
    expect(list.ndjson().length).toBe(0);
  });

  it('of() holds the entries in order', () => {
    const list = RecordList.of(texts.map((t, i) => ({ text: Buffer.from(t), line: i + 1 })));
    expect(Array.from({ length: list.length }, (_, i) => list.text(i).toString())).toEqual(texts);
    expect(list.line(3)).toBe(4);
  });
});
