import { describe, expect, it } from 'vitest';
import { checkJsonBodyLimits, RecordSpans, scanRecord } from '../../../api/domain/records/json-scan.js';
import { DEFAULT_BODY_LIMITS } from '../../../api/domain/records/index.js';

function spansOf(text: string): { texts: string[]; keys: number[] } {
  const b = Buffer.from(text);
  const spans = new RecordSpans();
  expect(checkJsonBodyLimits(b, 0, DEFAULT_BODY_LIMITS, spans)).toBeUndefined();
  const texts: string[] = [];
  const keys: number[] = [];
  for (let i = 0; i < spans.count; i++) {
    texts.push(b.toString('utf8', spans.start(i), spans.end(i)));
    keys.push(spans.keys(i));
  }
  return { texts, keys };
}

describe('RecordSpans from the body scan', () => {
  it('finds each record of an array exactly, without the whitespace around it', () => {
    const { texts, keys } = spansOf(' [ {"a":1} ,\t{"b":"x,y}","c":2}  ] ');
    expect(texts).toEqual(['{"a":1}', '{"b":"x,y}","c":2}']);
    expect(keys).toEqual([1, 2]);
  });

  it('finds the records inside {"records": [...]}', () => {
    expect(spansOf('{"records":[{"a":1,"b":{"c":2}},{"d":":"}]}')).toEqual({
      texts: ['{"a":1,"b":{"c":2}}', '{"d":":"}'],
      keys: [-1, 1],
    });
  });

  it('counts every top-level key as written, duplicates included', () => {
    expect(spansOf('[{"a":1,"a":2,"b":"::"}]').keys).toEqual([3]);
  });

  it('marks nested values, line breaks inside a record and non-objects as not copyable', () => {
    const { keys } = spansOf('[{"a":[1]},{"a":\n1},{"a":\r1},1,"s",{}]');
    expect(keys).toEqual([-1, -1, -1, -1, -1, 0]);
  });

  it('does not mark line breaks between records', () => {
    expect(spansOf('[\n{"a":1},\r\n{"b":2}\n]').keys).toEqual([1, 1]);
  });
});

const TOO_DEEP = 'too deep';

describe('scanRecord (one NDJSON line)', () => {
  const shape = (text: string, max = 32) => {
    const spans = new RecordSpans();
    return scanRecord(Buffer.from(text), 0, Buffer.byteLength(text), max, spans) ? spans.keys(0) : TOO_DEEP;
  };

  it('counts the keys of a flat object, escaped quotes and colons in strings aside', () => {
    expect(shape('{"a":"x\\":y","b":null}')).toBe(2);
  });

  it('is -1 for nested values, carriage returns and non-objects', () => {
    expect(shape('{"a":{"b":1}}')).toBe(-1);
    expect(shape('{"a":1,\r"b":2}')).toBe(-1);
    expect(shape('[1,2]')).toBe(-1);
  });

  it('reports nesting past the limit', () => {
    expect(shape('{"a":[[1]]}', 2)).toBe(TOO_DEEP);
    expect(shape('{"a":[1]}', 2)).toBe(-1);
  });
});

describe('odd records (the text policy reads only these)', () => {
  const body =
    '[{"a":"\\ud800"},{"a":"\\ud83d\\ude00","b":"\\\\ud800"},{"a":[1e400]},{"a":9007199254740993},' +
    '{"a":9007199254740991,"b":-0,"c":1.5e10,"d":"\\u0000"},"\\udc00",12345678901234567890,{"k\\ud800":1}]';
  const expected = [true, false, true, true, false, true, true, true];

  it('marks lone surrogate escapes and suspicious numbers in a JSON body, and nothing else', () => {
    const b = Buffer.from(body);
    const spans = new RecordSpans();
    checkJsonBodyLimits(b, 0, DEFAULT_BODY_LIMITS, spans);
    expect(Array.from({ length: spans.count }, (_, i) => spans.odd(i))).toEqual(expected);
  });

  it('marks the same records on NDJSON lines', () => {
    const texts = body.slice(1, -1).split(/,(?=\{"a"|"\\udc00"|12345678901234567890|\{"k)/);
    expect(texts).toHaveLength(expected.length);
    const odd = texts.map((text) => {
      const spans = new RecordSpans();
      scanRecord(Buffer.from(text), 0, Buffer.byteLength(text), 32, spans);
      return spans.odd(0);
    });
    expect(odd).toEqual(expected);
  });

  it('does not mark a clean record, whatever its numbers and strings', () => {
    const text = '{"n":0,"m":-12.5e-3,"i":123456789012345,"s":"tab\\there \\"q\\" \\\\ \\/","e":"é😀"}';
    const spans = new RecordSpans();
    scanRecord(Buffer.from(text), 0, Buffer.byteLength(text), 32, spans);
    expect(spans.odd(0)).toBe(false);
    expect(spans.keys(0)).toBe(5);
  });
});

describe('the backslash cursor of an NDJSON body', () => {
  it('is shared by the lines, so the search for escapes only moves forward', () => {
    const text = '{"a":"x"}\n{"b":"y"}\n{"c":"\\"q\\""}';
    const b = Buffer.from(text);
    const spans = new RecordSpans();
    const cursor = { at: -1 };
    const lines = [
      [0, 9],
      [10, 19],
      [20, text.length],
    ];
    const seen: number[] = [];
    for (const [start, end] of lines) {
      scanRecord(b, start, end, 32, spans, cursor);
      seen.push(cursor.at);
    }
    // Found once, from the first line, and kept until the scan passes it.
    expect(seen).toEqual([text.indexOf('\\'), text.indexOf('\\'), text.indexOf('\\')]);
    expect(Array.from({ length: spans.count }, (_, i) => spans.odd(i))).toEqual([false, false, false]);
  });
});
