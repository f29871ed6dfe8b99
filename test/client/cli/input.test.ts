import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../client/cli/errors.js';
import { csvItems } from '../../../client/cli/input/csv.js';
import { MAX_RECORD_BYTES, type Item, type ReadFrom } from '../../../client/cli/input/items.js';
import { jsonArrayItems } from '../../../client/cli/input/json-array.js';
import { ndjsonItems } from '../../../client/cli/input/ndjson.js';
import { openInput } from '../../../client/cli/input/open.js';
import { removeDir, tempDir } from '../../support/temp-dir.js';

type Reader = (chunks: AsyncIterable<Buffer>, from: ReadFrom) => AsyncIterable<Item[]>;

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

async function collect(
  reader: Reader,
  bytes: Buffer,
  from: ReadFrom = { offset: 0, line: 0 },
  cuts: number[] = [],
) {
  const out: Item[] = [];
  for await (const list of reader(chunked(bytes.subarray(from.offset), cuts), from)) out.push(...list);
  return out;
}

/** What a test compares: the record and where it lies, not the Buffer identity. */
const view = (items: Item[]) =>
  items.map((i) => ({
    kind: i.kind,
    value: i.kind === 'json' ? i.text.toString() : i.kind === 'csv' ? i.row : i.error,
    line: i.line,
    end: i.end,
    endLine: i.endLine,
  }));

const NDJSON = Buffer.from('\ufeff{"a":1}\r\n\n  {"b":"ü"}  \nnot json\n\n{"c":[1,2]}');
const JSON_ARRAY = Buffer.from('\ufeff[ {"a":[1,"]"]},\n 2 ,"x\\"y",\n{"b":{"c":"}"}} , true, null ]\n');
const CSV = Buffer.from('id,note,n\r\n1,"a, ""quoted""\r\nnote",5\r\n2,plain,6\r\n3\r\n4,last,7');

const readers: [string, Reader, Buffer][] = [
  ['ndjson', ndjsonItems, NDJSON],
  ['json array', jsonArrayItems, JSON_ARRAY],
  ['csv', (c, f) => csvItems(c, { ...f, columns: f.offset ? ['id', 'note', 'n'] : undefined }), CSV],
];

describe('input readers', () => {
  it('read NDJSON lines trimmed as the server trims them, skipping blank lines', async () => {
    expect(view(await collect(ndjsonItems, NDJSON))).toEqual([
      { kind: 'json', value: '{"a":1}', line: 1, end: 12, endLine: 1 },
      { kind: 'json', value: '{"b":"ü"}', line: 3, end: 28, endLine: 3 },
      { kind: 'json', value: 'not json', line: 4, end: 37, endLine: 4 },
      { kind: 'json', value: '{"c":[1,2]}', line: 6, end: 49, endLine: 6 },
    ]);
  });

  it('split a JSON array into its elements, brackets and quotes inside strings included', async () => {
    expect(view(await collect(jsonArrayItems, JSON_ARRAY)).map((i) => i.value)).toEqual([
      '{"a":[1,"]"]}',
      '2',
      '"x\\"y"',
      '{"b":{"c":"}"}}',
      'true',
      'null',
    ]);
  });

  it('read CSV with a header, quoted commas, quotes and line breaks, and flag a short row', async () => {
    expect(view(await collect(readers[2][1], CSV))).toEqual([
      { kind: 'csv', value: { id: '1', note: 'a, "quoted"\r\nnote', n: '5' }, line: 2, end: 38, endLine: 3 },
      { kind: 'csv', value: { id: '2', note: 'plain', n: '6' }, line: 4, end: 49, endLine: 4 },
      {
        kind: 'invalid',
        value: 'Invalid Record Length: columns length is 3, got 1',
        line: 5,
        end: 52,
        endLine: 5,
      },
      { kind: 'csv', value: { id: '4', note: 'last', n: '7' }, line: 6, end: 60, endLine: 5 },
    ]);
  });

  for (const [name, reader, bytes] of readers) {
    it(`${name}: the same items however the bytes are chunked`, async () => {
      const whole = view(await collect(reader, bytes));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
          async (cuts) => {
            expect(view(await collect(reader, bytes, { offset: 0, line: 0 }, cuts))).toEqual(whole);
          },
        ),
        { numRuns: 60 },
      );
    });

    it(`${name}: reading from any item's end gives exactly the items after it`, async () => {
      const whole = view(await collect(reader, bytes));
      for (let i = 0; i < whole.length; i++) {
        const from = { offset: whole[i].end, line: whole[i].endLine };
        expect(view(await collect(reader, bytes, from, [3, 7]))).toEqual(whole.slice(i + 1));
      }
    });
  }

  it('refuses a JSON input that is not one array', async () => {
    const fails = async (text: string, message: RegExp) => {
      const err = await collect(jsonArrayItems, Buffer.from(text)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as Error).message).toMatch(message);
    };
    await fails('{"a":1}', /expected a JSON array/);
    await fails('[1, 2', /not closed/);
    await fails('[1] [2]', /after the closing/);
    await fails('[1,,2]', /unexpected ','/);
    await fails('', /empty/);
  });

  it('turns an over-long line into an invalid item without holding it, and reads on', async () => {
    const long = Buffer.alloc(MAX_RECORD_BYTES + 10, 0x61);
    const bytes = Buffer.concat([Buffer.from('{"a":1}\n'), long, Buffer.from('\n{"b":2}\n')]);
    const items = view(
      await collect(ndjsonItems, bytes, { offset: 0, line: 0 }, [100, 5_000_000, 12_000_000]),
    );
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['json', 1],
      ['invalid', 2],
      ['json', 3],
    ]);
    expect(items[1].value).toContain('longer than');
    expect(items[2].end).toBe(bytes.length);
  });
});

describe('openInput', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await tempDir('tributary-cli-input-');
  });
  afterAll(() => removeDir(dir));

  const read = async (chunks: AsyncIterable<Buffer>) => {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    return Buffer.concat(parts).toString();
  };

  it('reads a gzip file decompressed, from any decompressed offset, whatever its name', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `{"i":${i}}`).join('\n');
    const file = join(dir, 'data.ndjson');
    await writeFile(file, gzipSync(text));
    const all = await openInput(file, process.stdin, 0);
    expect(all.gzip).toBe(true);
    expect(await read(all.chunks)).toBe(text);
    const tail = await openInput(file, process.stdin, 12_345);
    expect(await read(tail.chunks)).toBe(text.slice(12_345));
    expect(tail.consumed()).toBe(all.size);
  });

  it('reads a plain file from an offset', async () => {
    const file = join(dir, 'plain.ndjson');
    await writeFile(file, 'abcdefghij');
    const input = await openInput(file, process.stdin, 4);
    expect(await read(input.chunks)).toBe('efghij');
    expect(input.consumed()).toBe(10);
  });

  it('reads stdin, gzip or not', async () => {
    for (const gz of [false, true]) {
      const stdin = new PassThrough();
      stdin.end(gz ? gzipSync('{"x":1}\n') : '{"x":1}\n');
      const input = await openInput('-', stdin, 0);
      expect(await read(input.chunks)).toBe('{"x":1}\n');
      expect(input.gzip).toBe(gz);
    }
  });
});
