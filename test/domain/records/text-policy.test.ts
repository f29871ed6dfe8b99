import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CDC_COLUMNS, RAW_META_COLUMNS } from '../../../api/adapters/duckdb/ddl.js';
import { METADATA_NAMES } from '../../../api/adapters/duckdb/identifiers.js';
import { RAW_META } from '../../../api/adapters/snowflake/sql.js';
import { RecordSpans, scanRecord } from '../../../api/domain/records/json-scan.js';
import {
  escapeLoneSurrogates,
  mergeProblems,
  readRecordText,
  readRecordValue,
  showLoneSurrogates,
  CHANGE_SYSTEM_FIELDS,
  SYSTEM_FIELDS,
  systemFieldProblems,
} from '../../../api/domain/records/text-policy.js';

const LONE = /[\uD800-\uDFFF]/u;
const read = (text: string) => readRecordText(text, JSON.parse(text) as unknown);
const problems = (text: string) => read(text).problems;
const paths = (text: string) => problems(text).map((p) => p.path);

describe('readRecordText: what the policy rejects, by path', () => {
  it('names a lone surrogate in a value by its JSON pointer', () => {
    expect(problems('{"meta":{"s":"ok \\ud800"}}')).toEqual([
      {
        path: '/meta/s',
        message: 'invalid Unicode (lone surrogate \\ud800); the quarantine copy holds it as the text \\ud800',
      },
    ]);
  });

  it('finds low, reversed, upper-case and trailing lone surrogates, and keeps escaped pairs', () => {
    expect(
      paths('{"a":"\\udc00","b":"\\udc00\\ud800","c":"x\\uD83D","d":"\\ud83d\\ude00","e":"😀"}'),
    ).toEqual(['/a', '/b', '/c']);
  });

  it('is not fooled by an escaped backslash before u', () => {
    expect(problems('{"a":"\\\\ud800","b":"\\\\\\ud800"}').map((p) => p.path)).toEqual(['/b']);
  });

  it('names a lone surrogate in a key, showing it as text in the path', () => {
    const [p] = problems('{"x":[{"\\ud800":1}]}');
    expect(p.path).toBe('/x/0/\\ud800');
    expect(p.message).toMatch(/^invalid Unicode in a key \(lone surrogate \\ud800\)/);
    expect(LONE.test(p.path)).toBe(false);
  });

  it('escapes ~ and / in path segments (RFC 6901)', () => {
    expect(paths('{"a/b":{"c~d":"\\ud800"}}')).toEqual(['/a~1b/c~0d']);
  });

  it('rejects numbers that overflow a double and integers JSON.parse cannot hold exactly', () => {
    const found = problems(
      '{"big":1e400,"neg":[-1e400],"huge":1' +
        '0'.repeat(400) +
        ',"int":9007199254740993,"long":12345678901234567890}',
    );
    expect(found.map((p) => p.path)).toEqual(['/big', '/neg/0', '/huge', '/int', '/long']);
    expect(found[0].message).toBe(
      'number out of range: 1e400 overflows a double (JSON.parse gives Infinity); the quarantine copy holds it as a string',
    );
    expect(found[3].message).toBe(
      'integer 9007199254740993 cannot be stored exactly (past 2^53, JSON.parse makes it 9007199254740992); send it as a string',
    );
    expect(found[2].message.length).toBeLessThan(200);
  });

  it('accepts what every layer stores as read: U+0000, -0, underflow, 1e308, large integers whose digits survive', () => {
    expect(
      problems(
        '{"nul":"a\\u0000b","\\u0000":1,"z":-0,"zf":-0.0e5,"tiny":1e-400,"max":1e308,"m":1.7976931348623157e308,' +
          '"safe":9007199254740991,"neg":-9007199254740991,"p53":9007199254740992,"e20":100000000000000000000,"js":40072132993161210,' +
          '"dec":9007199254740993.5,"nc":"\\uffff\\ufffe","rtl":"\u05e9\u05dc\u05d5\u05dd","": ""}',
      ),
    ).toEqual([]);
  });
});

describe('readRecordText: the quarantine copy', () => {
  it('is the text minified onto one line, with lone surrogates as visible text and overflows as strings', () => {
    const { copy } = read(
      '{\n  "s": "\\ud800",\r\n  "n": 1e400,\n  "i": 12345678901234567890,\t"ok":"😀"\n}',
    );
    expect(copy).toBe('{"s":"\\\\ud800","n":"1e400","i":12345678901234567890,"ok":"😀"}');
    expect(JSON.parse(copy)).toEqual({
      s: '\\ud800',
      n: '1e400',
      i: Number('12345678901234567890'),
      ok: '😀',
    });
  });

  it('keeps duplicate keys and exact digits as sent', () => {
    expect(read('{"a":1, "a":2.50}').copy).toBe('{"a":1,"a":2.50}');
  });

  it('is loadable for any JSON value: one line, no lone surrogate escape, parses back', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.string({ unit: 'binary', maxLength: 6 }),
        (value, odd) => {
          const text = JSON.stringify({ value, odd, [odd]: odd }, null, 2);
          const { copy } = read(text);
          expect(copy).not.toMatch(/[\r\n]/);
          expect(escapeLoneSurrogates(copy)).toBe(copy);
          const back = JSON.parse(copy) as Record<string, unknown>;
          expect(LONE.test(JSON.stringify(back).replace(/\\\\/g, ''))).toBe(false);
          if (!LONE.test(odd)) expect(back.odd).toBe(odd);
          else expect(back.odd).toBe(showLoneSurrogates(odd));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('escapeLoneSurrogates', () => {
  it('makes JSON.stringify output of any string loadable, and leaves well-formed strings as they are', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const json = JSON.stringify(s);
        const safe = escapeLoneSurrogates(json);
        const back = JSON.parse(safe) as string;
        expect(LONE.test(back)).toBe(false);
        expect(back).toBe(showLoneSurrogates(s));
        if (!LONE.test(s)) expect(safe).toBe(json);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the byte scan marks every record the policy would reject', () => {
  const oddToken = fc.constantFrom(
    '"\\ud800"',
    '"a\\udfff"',
    '"\\ud83d\\ude00"',
    '"\\\\ud800"',
    '1e400',
    '-2e308',
    '9007199254740993',
    '9007199254740992',
    '-12345678901234567890',
    '1' + '0'.repeat(309),
    '0.0001e310',
    '1e-400',
    '-0',
    '"\\u0000"',
  );
  it('odd is set whenever readRecordText finds a problem (it may be set more often)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', '\\ud800', 'ok'), oddToken, fc.boolean()), {
          maxLength: 5,
        }),
        (fields) => {
          const text = `{${fields.map(([k, v, nest]) => `"${k}":${nest ? `[{"n":${v}}]` : v}`).join(',')}}`;
          const spans = new RecordSpans();
          expect(scanRecord(Buffer.from(text), 0, Buffer.byteLength(text), 32, spans)).toBe(true);
          if (read(text).problems.length > 0) expect(spans.odd(0)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('readRecordValue (backstop without the text)', () => {
  it('judges the value when the text given is not JSON (a wrong span must not become a 5xx)', () => {
    expect(readRecordText('{"a":"\\ud800', { a: '\ud800' }).problems.map((p) => p.path)).toEqual(['/a']);
  });

  it('finds lone surrogates in values and keys and non-finite numbers', () => {
    const reading = readRecordValue({ a: '\ud800', b: [Infinity], ['\udc00']: 1, ok: 'x' });
    expect(reading.problems.map((p) => p.path)).toEqual(['/a', '/b/0', '/\\udc00']);
    expect(escapeLoneSurrogates(reading.copy)).toBe(reading.copy);
  });
});

describe('system field names', () => {
  it('rejects top-level keys naming a system field, in any letter case', () => {
    expect(
      systemFieldProblems({ _id: 1, _Batch_ID: 2, _meta: 3, id: 4, _extra: {} })?.map((p) => p.path),
    ).toEqual(['/_id', '/_Batch_ID', '/_extra']);
    expect(systemFieldProblems({ _meta: 1, nested: { _id: 1 } })).toBeNull();
  });

  it("reserves a change stream's system columns in change streams only", () => {
    expect(systemFieldProblems({ _source: 'es', _op: 1 })).toBeNull();
    expect(systemFieldProblems({ _source: 'es', _OP: 1 }, true)?.map((p) => p.path)).toEqual([
      '/_source',
      '/_OP',
    ]);
  });

  it('covers every metadata column of both warehouses and every lake-line field', () => {
    const reserved = new Set<string>(SYSTEM_FIELDS);
    const inChangeStreams = new Set<string>([...SYSTEM_FIELDS, ...CHANGE_SYSTEM_FIELDS]);
    for (const [name] of RAW_META_COLUMNS) expect(reserved).toContain(name);
    for (const [name] of CDC_COLUMNS) expect(inChangeStreams).toContain(name);
    for (const name of METADATA_NAMES) expect(inChangeStreams).toContain(name);
    for (const m of RAW_META) expect(reserved).toContain(m.column.replaceAll('"', '').toLowerCase());
    for (const name of ['_tenant', '_stream', '_extra']) expect(reserved).toContain(name);
  });
});

describe('mergeProblems', () => {
  it('puts the policy first, drops validator errors at the same path and shows lone surrogates', () => {
    expect(
      mergeProblems(
        [{ path: '/n', message: 'number out of range' }],
        [
          { path: '/n', message: 'must be number' },
          { path: '/\ud800', message: 'undeclared property not allowed' },
        ],
      ),
    ).toEqual([
      { path: '/n', message: 'number out of range' },
      { path: '/\\ud800', message: 'undeclared property not allowed' },
    ]);
  });
});
