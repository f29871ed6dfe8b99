import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../../client/index.js';
import { CliError } from '../../../client/cli/errors.js';
import { csvItems } from '../../../client/cli/input/csv.js';
import type { Item, ReadFrom } from '../../../client/cli/input/items.js';
import { ndjsonItems } from '../../../client/cli/input/ndjson.js';
import { typeRow } from '../../../client/cli/input/csv-values.js';
import {
  batchesOf,
  bodyOf,
  encodeJson,
  separateUnreadable,
  type Batch,
  type Encode,
} from '../../../client/cli/push/batches.js';
import {
  CHECKPOINT_VERSION,
  CheckpointFile,
  batchKey,
  newRunId,
  type Checkpoint,
} from '../../../client/cli/push/checkpoint.js';
import { RejectsFile, rejectLines } from '../../../client/cli/push/rejects.js';
import { RecordList } from '../../../client/cli/push/record-list.js';
import { removeDir, tempDir } from '../../support/temp-dir.js';

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

async function cut(
  reader: (c: AsyncIterable<Buffer>, f: ReadFrom) => AsyncIterable<Item[]>,
  bytes: Buffer,
  from: ReadFrom,
  encode: Encode = encodeJson,
  limits = { records: 3, bytes: 1 << 20 },
): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batchesOf(reader(once(bytes.subarray(from.offset)), from), {
    from,
    limits,
    runId: 'r',
    encode,
  }))
    out.push(b);
  return out;
}

const lines = (n: number) =>
  Buffer.from(
    Array.from({ length: n }, (_, i) => (i % 7 === 3 ? '{broken' : JSON.stringify({ i }))).join('\n') + '\n',
  );

describe('batches', () => {
  it('are cut the same way from any batch boundary, so a resume re-sends them under the same keys', async () => {
    const bytes = lines(40);
    const all = await cut(ndjsonItems, bytes, { offset: 0, line: 0 });
    expect(all.length).toBe(14);
    for (const b of all) expect(b.idempotencyKey).toBe(batchKey('r', b.start, b.end));
    for (let k = 1; k < all.length; k++) {
      const from = { offset: all[k - 1].end, line: all[k - 1].endLine };
      const resumed = await cut(ndjsonItems, bytes, from);
      expect(resumed.map((b) => b.idempotencyKey)).toEqual(all.slice(k).map((b) => b.idempotencyKey));
      expect(resumed.map((b) => bodyOf(b, 'ndjson').body.toString())).toEqual(
        all.slice(k).map((b) => bodyOf(b, 'ndjson').body.toString()),
      );
    }
  });

  it('cover the input without gaps', async () => {
    const bytes = lines(10);
    const all = await cut(ndjsonItems, bytes, { offset: 0, line: 0 });
    expect(all[0].start).toBe(0);
    for (let k = 1; k < all.length; k++) expect(all[k].start).toBe(all[k - 1].end);
    expect(all[all.length - 1].end).toBe(bytes.length);
    expect(bodyOf(all[0], 'json')).toEqual({
      body: Buffer.from('[{"i":0},{"i":1},{"i":2}]'),
      contentType: 'application/json',
    });
  });

  it('send JSON text unchecked, and take out what does not parse once the server refuses it', async () => {
    const second = (await cut(ndjsonItems, lines(10), { offset: 0, line: 0 }))[1];
    expect(bodyOf(second, 'ndjson').body.toString()).toBe('{broken\n{"i":4}\n{"i":5}\n');
    expect(separateUnreadable(second)).toBe(1);
    expect(second.invalid).toEqual([
      { line: 4, raw: '{broken', error: expect.stringContaining('malformed JSON') },
    ]);
    expect(bodyOf(second, 'ndjson').body.toString()).toBe('{"i":4}\n{"i":5}\n');
    expect(separateUnreadable(second)).toBe(0);
  });

  it('stay within the byte budget, a record larger than it going alone', async () => {
    const big = JSON.stringify({ s: 'x'.repeat(300) });
    const bytes = Buffer.from(['{"a":1}', '{"a":2}', big, '{"a":3}'].join('\n'));
    const all = await cut(ndjsonItems, bytes, { offset: 0, line: 0 }, encodeJson, {
      records: 100,
      bytes: 64,
    });
    expect(all.map((b) => Array.from({ length: b.records.length }, (_, i) => b.records.line(i)))).toEqual([
      [1, 2],
      [3],
      [4],
    ]);
  });

  it('cut CSV the same way from a boundary, with the header it saved and typed by the schema', async () => {
    const bytes = Buffer.from(
      'id,n\n' + Array.from({ length: 10 }, (_, i) => `${i},${i * 2}`).join('\n') + '\n',
    );
    let header: string[] = [];
    const encode: Encode = (item) =>
      item.kind === 'csv'
        ? Buffer.from(JSON.stringify(typeRow(item.row, { n: ['integer'] })))
        : { error: 'x', raw: '' };
    const all: Batch[] = [];
    const from0 = { offset: 0, line: 0 };
    for await (const b of batchesOf(
      csvItems(once(bytes), from0, (h) => (header = h)),
      { from: from0, limits: { records: 3, bytes: 1 << 20 }, runId: 'r', encode },
    ))
      all.push(b);
    expect(header).toEqual(['id', 'n']);
    expect(bodyOf(all[0], 'csv').body.toString()).toBe(
      '{"id":"0","n":0}\n{"id":"1","n":2}\n{"id":"2","n":4}\n',
    );
    const from = { offset: all[1].end, line: all[1].endLine, columns: header };
    const resumed = await cut((c, f) => csvItems(c, f), bytes, from, encode);
    expect(resumed.map((b) => b.idempotencyKey)).toEqual(all.slice(2).map((b) => b.idempotencyKey));
    expect(resumed[0].records.line(0)).toBe(8);
  });
});

describe('checkpoint file', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await tempDir('tributary-cli-checkpoint-');
  });
  afterAll(() => removeDir(dir));

  const sample = (offset: number): Checkpoint => ({
    version: CHECKPOINT_VERSION,
    input: { file: '/x.ndjson', size: 100, mtimeMs: 1.5 },
    target: { url: 'http://localhost:8080', tenant: 't', stream: 's' },
    format: 'ndjson',
    batch: { records: 10, bytes: 1000 },
    runId: newRunId(),
    offset,
    line: offset,
    rejectsBytes: 0,
    totals: { records: offset, accepted: offset, rejected: 0, duplicates: 0, invalid: 0, batches: 1 },
    inFlight: [
      { start: offset, end: offset + 5, records: 5, idempotencyKey: batchKey('r', offset, offset + 5) },
    ],
    savedAt: new Date().toISOString(),
  });

  it('is missing until saved, then reads back what was saved', async () => {
    const f = new CheckpointFile(join(dir, 'a.checkpoint.json'));
    expect(await f.read()).toBeUndefined();
    const cp = sample(7);
    await f.save(cp);
    expect(await f.read()).toEqual(cp);
  });

  it('collapses saves made while one is written, ending with the newest, and leaves no temp file', async () => {
    const f = new CheckpointFile(join(dir, 'b.checkpoint.json'));
    const saves = Array.from({ length: 50 }, (_, i) => f.save(sample(i)));
    await Promise.all(saves);
    expect((await f.read())!.offset).toBe(49);
    expect((await readdir(dir)).filter((n) => n.startsWith('b.'))).toEqual(['b.checkpoint.json']);
    await f.remove();
    expect(await f.read()).toBeUndefined();
  });

  it('with a gap, writes no sooner than the gap after the last write, the newest state of those saved meanwhile', async () => {
    const f = new CheckpointFile(join(dir, 'd.checkpoint.json'), 300);
    await f.save(sample(1));
    const firstDone = Date.now();
    const later = [f.save(sample(2)), f.save(sample(3))];
    // Still the first state while the gap runs.
    expect((await f.read())!.offset).toBe(1);
    await Promise.all(later);
    expect(Date.now() - firstDone).toBeGreaterThanOrEqual(250);
    expect((await f.read())!.offset).toBe(3);
  });

  it('refuses an unreadable checkpoint with a way out', async () => {
    const path = join(dir, 'c.checkpoint.json');
    await writeFile(path, '{"version": 1, "offset": -1}');
    const err = await new CheckpointFile(path).read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/unreadable .*delete it/);
  });
});

describe('rejects file', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await tempDir('tributary-cli-rejects-');
  });
  afterAll(() => removeDir(dir));

  const batch: Batch = {
    seq: 0,
    start: 0,
    end: 10,
    endLine: 4,
    records: RecordList.of([
      { text: Buffer.from('{"a":1}'), line: 1 },
      { text: Buffer.from('{"a":"x"}'), line: 3 },
      { text: Buffer.from('{"a":"y"}'), line: 4 },
    ]),
    invalid: [{ line: 2, raw: '{oops', error: 'malformed JSON' }],
    bytes: 30,
    idempotencyKey: 'k',
  };

  it('lists each rejected record with its errors, in input order, and says when the server cut the list', () => {
    const result: IngestResult = {
      batchId: 'B',
      accepted: 1,
      rejected: 2,
      duplicates: 0,
      errors: [{ index: 1, path: '/a', message: 'must be integer' }],
      errorsTruncated: true,
      errorsTotal: 2,
    };
    const out = rejectLines(batch, result, 'events').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toEqual([
      { line: 2, errors: [{ path: '', message: 'malformed JSON' }], raw: '{oops' },
      {
        line: 3,
        batchId: 'B',
        index: 1,
        errors: [{ path: '/a', message: 'must be integer' }],
        record: { a: 'x' },
      },
      expect.objectContaining({
        batchId: 'B',
        unlisted: 1,
        message: expect.stringContaining('rejections events --batch B'),
      }),
    ]);
  });

  it('is cut back to the checkpoint on resume, so nothing is written twice, and removed when empty', async () => {
    const path = join(dir, 'x.rejects.ndjson');
    const first = new RejectsFile(path);
    await first.start();
    await first.write(['{"n":1}']);
    const at = first.bytes;
    await first.write(['{"n":2}']); // written after the last checkpoint: the resume writes it again
    await first.close();
    const resumed = new RejectsFile(path);
    await resumed.start(at);
    await resumed.write(['{"n":2}']);
    await resumed.close();
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    const fresh = new RejectsFile(path);
    await fresh.start();
    await fresh.close();
    expect((await readdir(dir)).includes('x.rejects.ndjson')).toBe(false);
  });
});
