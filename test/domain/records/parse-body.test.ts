import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../../api/domain/errors.js';
import { DEFAULT_BODY_LIMITS, parseRecordsBody } from '../../../api/domain/records/index.js';
import { gzip, gzippedZeros, parse, rejection, trackedStream } from './helpers.js';

async function invalid(p: Promise<unknown>): Promise<InvalidInputError> {
  const e = await rejection(() => p);
  expect(e).toBeInstanceOf(InvalidInputError);
  return e as InvalidInputError;
}

async function tooLarge(p: Promise<unknown>, limit: string): Promise<PayloadTooLargeError> {
  const e = await rejection(() => p);
  expect(e).toBeInstanceOf(PayloadTooLargeError);
  const err = e as PayloadTooLargeError;
  expect(err.limit).toBe(limit);
  expect(err.message).toContain(`(${limit})`);
  return err;
}

async function unsupported(p: Promise<unknown>): Promise<UnsupportedMediaTypeError> {
  const e = await rejection(() => p);
  expect(e).toBeInstanceOf(UnsupportedMediaTypeError);
  return e as UnsupportedMediaTypeError;
}

describe('DEFAULT_BODY_LIMITS', () => {
  it('holds the documented defaults', () => {
    expect(DEFAULT_BODY_LIMITS).toEqual({
      maxBodyBytes: 4194304,
      maxDecompressedBytes: 16777216,
      maxRecordBytes: 1024000,
      maxRecords: 10000,
      maxDepth: 32,
    });
  });
});

describe('parseRecordsBody: content types', () => {
  it('takes a JSON array of records', async () => {
    const body = '[{"a":1},{"b":"x"},3,null]';
    const out = await parse(body);
    expect(out.records).toEqual([{ a: 1 }, { b: 'x' }, 3, null]);
    expect(out.rawBytes).toBe(Buffer.byteLength(body));
    expect(out.sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('takes {"records": [...]}, ignoring the charset parameter and case', async () => {
    const out = await parse('{"records": [{"a":1}]}', { contentType: 'Application/JSON; charset=utf-8' });
    expect(out.records).toEqual([{ a: 1 }]);
  });

  it.each([
    'application/x-ndjson',
    'application/ndjson',
    'application/jsonl',
    'application/x-ndjson; charset=UTF-8',
  ])('takes NDJSON as %s', async (contentType) => {
    const out = await parse('{"a":1}\n{"a":2}\n', { contentType });
    expect(out.records).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('handles CRLF, blank lines and a missing final newline in NDJSON', async () => {
    const out = await parse('{"a":1}\r\n\r\n   \n{"a":2}\r\n{"a":3}', {
      contentType: 'application/x-ndjson',
    });
    expect(out.records).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it('skips a UTF-8 byte order mark', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect((await parse(Buffer.concat([bom, Buffer.from('[1]')]))).records).toEqual([1]);
    const nd = Buffer.concat([bom, Buffer.from('{"a":1}\n')]);
    expect((await parse(nd, { contentType: 'application/x-ndjson' })).records).toEqual([{ a: 1 }]);
  });

  it.each([
    undefined,
    '',
    'text/plain',
    'application/xml',
    'multipart/form-data; boundary=x',
    'application/jsonx',
  ])('rejects content type %s with 415 naming the accepted types', async (contentType) => {
    const e = await unsupported(parse('[1]', { contentType }));
    expect(e.message).toContain('application/json');
    expect(e.message).toContain('application/x-ndjson');
  });

  it('rejects a JSON body that is neither an array nor {"records": [...]}', async () => {
    for (const body of [
      '{"a":1}',
      '"x"',
      '42',
      'null',
      '{"records": 5}',
      '{"records": [1], "stream": "s"}',
    ]) {
      const e = await invalid(parse(body));
      expect(e.message).toMatch(/records/);
    }
    const e = await invalid(parse('{"a":1}'));
    expect(e.message).toContain('expected a JSON array of records');
    expect((await invalid(parse('{"records": [1], "stream": "s"}'))).message).toContain('"stream"');
  });

  it('takes a lone object or null as one record when asked (one change event per request)', async () => {
    expect((await parse('{"op":"c","after":{"id":1}}', { loneRecord: true })).records).toEqual([
      { op: 'c', after: { id: 1 } },
    ]);
    expect((await parse(' null ', { loneRecord: true })).records).toEqual([null]);
    expect((await parse('{"records":[null]}', { loneRecord: true })).records).toEqual([null]);
    for (const body of ['"x"', '42', 'true']) {
      expect((await invalid(parse(body, { loneRecord: true }))).message).toContain('expected a JSON array');
    }
  });

  it('rejects an empty batch', async () => {
    for (const [body, contentType] of [
      ['[]', 'application/json'],
      ['{"records":[]}', 'application/json'],
      ['\n\n \r\n', 'application/x-ndjson'],
    ]) {
      const e = await invalid(parse(body, { contentType }));
      expect(e.message).toContain('no records');
    }
  });

  it('rejects an empty or absent body', async () => {
    expect((await invalid(parse(''))).message).toContain('empty');
    expect((await invalid(parse(null))).message).toContain('empty');
    expect((await invalid(parse('   '))).message).toContain('empty');
    expect((await invalid(parse('', { contentEncoding: 'gzip' }))).message).toContain('empty');
  });

  it('rejects invalid UTF-8', async () => {
    const e = await invalid(parse(Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d])));
    expect(e.message).toContain('UTF-8');
  });

  it('rejects surrogates encoded as bytes (CESU-8 / WTF-8), in any body form (text policy)', async () => {
    const lone = Buffer.from([0xed, 0xa0, 0x80]); // U+D800 as if it were a code point
    const pair = Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]); // U+1F600 as two surrogates
    for (const bytes of [lone, pair]) {
      const value = Buffer.concat([Buffer.from('{"id":"'), bytes, Buffer.from('"}')]);
      const key = Buffer.concat([Buffer.from('{"'), bytes, Buffer.from('":1}')]);
      for (const record of [value, key]) {
        const array = Buffer.concat([Buffer.from('['), record, Buffer.from(']')]);
        expect((await invalid(parse(array))).message).toBe('request body is not valid UTF-8');
        const ndjson = await invalid(parse(record, { contentType: 'application/x-ndjson' }));
        expect(ndjson.message).toBe('request body is not valid UTF-8');
      }
    }
  });
});

describe('parseRecordsBody: content encoding', () => {
  it('inflates gzip while hashing the bytes as received', async () => {
    const compressed = gzip('[{"a":1}]');
    const out = await parse(compressed, { contentEncoding: 'GZIP' });
    expect(out.records).toEqual([{ a: 1 }]);
    expect(out.rawBytes).toBe(compressed.length);
    expect(out.sha256).toBe(createHash('sha256').update(compressed).digest('hex'));
  });

  it('accepts identity and concatenated gzip members', async () => {
    expect((await parse('[1]', { contentEncoding: 'identity' })).records).toEqual([1]);
    const twoMembers = Buffer.concat([gzip('{"a":1}\n'), gzip('{"a":2}\n')]);
    const out = await parse(twoMembers, { contentEncoding: 'gzip', contentType: 'application/x-ndjson' });
    expect(out.records).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it.each(['br', 'deflate', 'zstd', 'gzip, br'])(
    'rejects Content-Encoding %s with 415 naming it',
    async (enc) => {
      const e = await unsupported(parse('[1]', { contentEncoding: enc }));
      expect(e.message).toContain(enc.split(', ').at(-1));
    },
  );

  it('rejects corrupt gzip with 400 naming the problem', async () => {
    const good = gzip('[{"a":1}]');
    for (const bad of [
      Buffer.from('[{"a":1}]'),
      good.subarray(0, good.length - 6),
      Buffer.concat([good, Buffer.from('junk')]),
    ]) {
      const e = await invalid(parse(bad, { contentEncoding: 'gzip' }));
      expect(e.message).toContain('not valid gzip');
      expect(e.errors[0].path).toBe('body');
    }
  });

  it('stops a gzip bomb (100 MiB of zeros) while inflating', async () => {
    const bomb = gzippedZeros(100);
    const body = trackedStream(bomb, 1024);
    let inflated = 0;
    const e = await rejection(() =>
      parseRecordsBody({
        body: body.stream,
        contentType: 'application/json',
        contentEncoding: 'gzip',
        contentLength: String(bomb.length),
        limits: DEFAULT_BODY_LIMITS,
        onInflated: (total) => (inflated = total),
      }),
    );
    expect(e).toBeInstanceOf(PayloadTooLargeError);
    expect((e as PayloadTooLargeError).limit).toBe('maxDecompressedBytes');
    expect((e as Error).message).toBe(
      'decompressed request body exceeds 16777216 bytes (maxDecompressedBytes)',
    );
    // Inflation stopped within one zlib chunk of the limit, and most of the upload was never read.
    expect(inflated).toBeGreaterThan(DEFAULT_BODY_LIMITS.maxDecompressedBytes);
    expect(inflated).toBeLessThanOrEqual(DEFAULT_BODY_LIMITS.maxDecompressedBytes + 64 * 1024);
    expect(body.pulled()).toBeLessThan(bomb.length / 2);
    expect(body.cancelled()).toBe(true);
  });
});

describe('parseRecordsBody: limits', () => {
  it('rejects a declared Content-Length over maxBodyBytes before reading', async () => {
    const body = trackedStream(Buffer.from('[1]'));
    const e = await tooLarge(
      parseRecordsBody({
        body: body.stream,
        contentType: 'application/json',
        contentEncoding: undefined,
        contentLength: String(4 * 1024 * 1024 + 1),
        limits: DEFAULT_BODY_LIMITS,
      }),
      'maxBodyBytes',
    );
    expect(e.message).toBe('request body exceeds 4194304 bytes (maxBodyBytes)');
    expect(e.limitValue).toBe(4194304);
    expect(body.pulled()).toBe(0);
  });

  it('counts streamed bytes when Content-Length is absent or understated, reading no further', async () => {
    const big = Buffer.alloc(10_000, 0x20);
    for (const contentLength of [undefined, '10']) {
      const body = trackedStream(big, 100);
      await tooLarge(
        parseRecordsBody({
          body: body.stream,
          contentType: 'application/json',
          contentEncoding: undefined,
          contentLength,
          limits: { ...DEFAULT_BODY_LIMITS, maxBodyBytes: 1000 },
        }),
        'maxBodyBytes',
      );
      expect(body.pulled()).toBeLessThanOrEqual(1100);
      expect(body.cancelled()).toBe(true);
    }
  });

  it('applies maxBodyBytes to the compressed bytes', async () => {
    const compressed = gzip(JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ i: i * 7919 }))));
    await tooLarge(
      parse(compressed, { contentEncoding: 'gzip', limits: { maxBodyBytes: compressed.length - 1 } }),
      'maxBodyBytes',
    );
    expect(
      (await parse(compressed, { contentEncoding: 'gzip', limits: { maxBodyBytes: compressed.length } }))
        .records,
    ).toHaveLength(200);
  });

  it('rejects more than maxRecords records in every body form', async () => {
    const limits = { maxRecords: 3 };
    const four = [1, 2, 3, 4];
    for (const [body, contentType] of [
      [JSON.stringify(four), 'application/json'],
      [JSON.stringify({ records: four }), 'application/json'],
      [four.join('\n'), 'application/x-ndjson'],
    ]) {
      const e = await tooLarge(parse(body, { contentType, limits }), 'maxRecords');
      expect(e.message).toBe('request has more than 3 records (maxRecords)');
    }
    expect((await parse(JSON.stringify([1, 2, 3]), { limits })).records).toEqual([1, 2, 3]);
  });

  it('rejects a record over maxRecordBytes, naming its index or line', async () => {
    const limits = { maxRecordBytes: 20 };
    const small = { a: 1 };
    const big = { a: 'x'.repeat(30) };
    let e = await tooLarge(parse(JSON.stringify([small, small, big]), { limits }), 'maxRecordBytes');
    expect(e.message).toMatch(/^records\[2\] is 38 bytes, over the 20-byte limit/);
    e = await tooLarge(parse(JSON.stringify({ records: [big] }), { limits }), 'maxRecordBytes');
    expect(e.message).toContain('records[0]');
    e = await tooLarge(
      parse(`${JSON.stringify(small)}\n\n${JSON.stringify(big)}\n`, {
        contentType: 'application/x-ndjson',
        limits,
      }),
      'maxRecordBytes',
    );
    expect(e.message).toMatch(/line 3 is 38 bytes/);
  });

  it('measures a record by its JSON text as sent (whitespace between records excluded)', async () => {
    // 20 bytes exactly, padded with whitespace that does not count.
    const rec = '{"a":"0123456789ab"}';
    expect(Buffer.byteLength(rec)).toBe(20);
    const out = await parse(`[  ${rec}  ,\n\t${rec}\n]`, { limits: { maxRecordBytes: 20 } });
    expect(out.records).toHaveLength(2);
    // Multi-byte characters count as bytes.
    await tooLarge(parse('["ééééééééééé"]', { limits: { maxRecordBytes: 20 } }), 'maxRecordBytes');
  });

  it('applies maxDecompressedBytes to gzip bodies', async () => {
    const text = JSON.stringify(Array.from({ length: 100 }, () => ({ pad: 'y'.repeat(100) })));
    await tooLarge(
      parse(gzip(text), { contentEncoding: 'gzip', limits: { maxDecompressedBytes: 5000 } }),
      'maxDecompressedBytes',
    );
  });

  it('rejects nesting deeper than maxDepth, naming the record', async () => {
    const nest = (d: number): string => '['.repeat(d) + ']'.repeat(d);
    const limits = { maxDepth: 4 };
    expect((await parse(`[1, ${nest(4)}]`, { limits })).records).toHaveLength(2);
    let e = await invalid(parse(`[1, ${nest(5)}]`, { limits }));
    expect(e.errors[0].path).toBe('records[1]');
    expect(e.message).toContain('maxDepth');
    expect(e.message).toContain('4 levels');
    e = await invalid(parse(`{"records": [1, 2, {"a": {"b": {"c": {"d": {}}}}}]}`, { limits }));
    expect(e.errors[0].path).toBe('records[2]');
    e = await invalid(parse(`[1]\n${nest(5)}`, { contentType: 'application/x-ndjson', limits }));
    expect(e.errors[0].path).toBe('line 2');
  });

  it('rejects 100k-deep nesting without exhausting the stack', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    let e = await invalid(parse(`[${deep}]`));
    expect(e.errors[0].path).toBe('records[0]');
    e = await invalid(parse(deep, { contentType: 'application/x-ndjson' }));
    expect(e.errors[0].path).toBe('line 1');
    e = await invalid(parse(`{"x": ${deep}}`));
    expect(e.errors[0].path).toBe('body');
    e = await invalid(parse(`{"a": [${'{"b":'.repeat(100_000)}1${'}'.repeat(100_000)}]}`));
    expect(e.message).toContain('maxDepth');
  });

  it('ignores brackets inside strings when measuring depth', async () => {
    const out = await parse(JSON.stringify([{ s: '[[[[[[[[[[{{{{{{{{\\"\\\\"' }]), {
      limits: { maxDepth: 1 },
    });
    expect(out.records).toEqual([{ s: '[[[[[[[[[[{{{{{{{{\\"\\\\"' }]);
  });
});

describe('parseRecordsBody: malformed input', () => {
  it('names the line, column and byte offset of a JSON syntax error', async () => {
    const e = await invalid(parse('[\n  {"a": 1},\n  {"b": }\n]'));
    expect(e.message).toBe("malformed JSON at line 3, column 9 (byte offset 22): unexpected character '}'");
    expect(e.errors).toEqual([{ path: 'body', message: e.message }]);
  });

  it('counts the byte offset in bytes, not characters', async () => {
    const e = await invalid(parse('["é", x]'));
    expect(e.message).toContain('line 1, column 7 (byte offset 7)');
  });

  it('describes common syntax errors', async () => {
    const cases: Array<[string, string]> = [
      ['[1,]', "unexpected character ']'"],
      ['[1 2]', "expected ',' or ']' after array element"],
      ['{"records": [1}', "expected ',' or ']' after array element"],
      ['[{"a" 1}]', "expected ':' after property name"],
      ['[{"a":1,}]', 'expected a double-quoted property name'],
      ['["abc', 'unterminated string'],
      ['["a\\x"]', 'invalid escape sequence in string'],
      ['[01]', "expected ',' or ']' after array element"],
      ['[1] [2]', 'unexpected data after the JSON value'],
      ['[tru]', "unexpected character ']'"],
      ['[1', 'unexpected end of input'],
    ];
    for (const [body, message] of cases) {
      expect((await invalid(parse(body))).message).toContain(message);
    }
  });

  it('names the 1-based NDJSON line of a syntax error, counting blank lines', async () => {
    const e = await invalid(
      parse('{"a":1}\n\n{"a":2}\r\n  {"a": nope}\n{"a":3}', { contentType: 'application/x-ndjson' }),
    );
    expect(e.message).toBe("malformed JSON on line 4, column 10: unexpected character 'o'");
    expect(e.errors).toEqual([{ path: 'line 4', message: e.message }]);
  });

  it('rejects a JSON array body sent as NDJSON across lines', async () => {
    const e = await invalid(parse('[\n{"a":1}\n]', { contentType: 'application/x-ndjson' }));
    expect(e.errors[0].path).toBe('line 1');
  });
});

describe('parseRecordsBody: object safety', () => {
  it('keeps __proto__ as an own property and never touches Object.prototype', async () => {
    const body = '[{"__proto__": {"polluted": true}, "a": 1}]';
    for (const contentType of ['application/json', 'application/x-ndjson']) {
      const text = contentType === 'application/json' ? body : body.slice(1, -1);
      const { records } = await parse(text, { contentType });
      const rec = records[0] as Record<string, unknown>;
      expect(Object.hasOwn(rec, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(rec)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    }
    const e = await invalid(parse('{"__proto__": [1], "records": [1]}'));
    expect(e.message).toContain('unexpected key "__proto__"');
  });

  it('takes the last value of a duplicate key (JSON.parse rule)', async () => {
    const { records } = await parse('[{"a": 1, "b": 2, "a": 3}]');
    expect(records).toEqual([{ a: 3, b: 2 }]);
    const nd = await parse('{"a": 1, "a": {"x": 2}}', { contentType: 'application/x-ndjson' });
    expect(nd.records).toEqual([{ a: { x: 2 } }]);
    // But a duplicated envelope key is refused rather than half-read.
    const e = await invalid(parse('{"records": [1], "r\\u0065cords": [2]}'));
    expect(e.message).toContain('duplicate "records" key');
  });

  it('recognises an escaped "records" key', async () => {
    const { records } = await parse('{"r\\u0065cords": [{"a":1}]}', { limits: { maxRecordBytes: 7 } });
    expect(records).toEqual([{ a: 1 }]);
    await tooLarge(
      parse('{"r\\u0065cords": [{"a":11}]}', { limits: { maxRecordBytes: 7 } }),
      'maxRecordBytes',
    );
  });
});
