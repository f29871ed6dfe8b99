import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../api/adapters/duckdb/index.js';
import { parseAndBuild } from '../../domain/records/helpers.js';
import { linesOf } from '../../support/ndjson.js';
import { makeStream, removeDir, silentLogger, tempDir, writeObject } from './fixtures.js';

/**
 * The text policy's decisions, checked against DuckDB's typed read_ndjson: what the policy accepts
 * loads into every column type as validated, what it rejects would have failed the whole object, and
 * the quarantine copy of a rejected record always loads.
 */
const stream = makeStream({
  name: 'odd',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      s: { type: 'string' },
      i: { type: 'integer' },
      n: { type: 'number' },
      at: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      meta: { type: 'object' },
      any: { type: ['string', 'number'] },
    },
    required: ['id'],
  },
});

describe('text policy against DuckDB', () => {
  let dir: string;
  let warehouse: DuckDbWarehouse;
  let objects = 0;

  beforeEach(async () => {
    dir = await tempDir();
    warehouse = new DuckDbWarehouse({ dir, logger: silentLogger });
    await warehouse.createStream(stream);
  });
  afterEach(async () => {
    await warehouse.close();
    await removeDir(dir);
  });

  async function ingest(records: string[], contentType = 'application/x-ndjson') {
    const body = contentType === 'application/json' ? `[${records.join(',')}]` : records.join('\n');
    const built = await parseAndBuild(stream, body, contentType);
    const n = objects++;
    const raw = await writeObject(dir, stream, `r${n}.ndjson`, linesOf(built.batch.records));
    const quarantine = await writeObject(
      dir,
      stream,
      `q${n}.ndjson`,
      linesOf(built.batch.rejects),
      'quarantine',
    );
    return { ...built, raw, quarantine };
  }

  it('refuses a whole object for one lone surrogate, which is why the policy rejects it', async () => {
    const obj = await writeObject(dir, stream, 'bad.ndjson', [
      '{"_id":"a","_batch_id":"b","_index":0,"_received_at":"2026-01-01T00:00:00Z","_schema_version":1,"record":{"id":"ok"}}',
      '{"_id":"b","_batch_id":"b","_index":1,"_received_at":"2026-01-01T00:00:00Z","_schema_version":1,"record":{"id":"\\ud800"}}',
    ]);
    await expect(warehouse.loadObject(obj, stream)).rejects.toThrow(/surrogate/);
  });

  for (const contentType of ['application/json', 'application/x-ndjson']) {
    it(`loads every accepted edge case into its typed column as validated (${contentType})`, async () => {
      const records = [
        '{"id":"nul","s":"a\\u0000b","meta":{"\\u0000":"\\u0000"}}',
        '{"id":"zero","i":-0,"n":-0,"any":-0}',
        '{"id":"big","n":1e308,"any":9007199254740992,"meta":{"x":40072132993161210}}',
        '{"id":"small","n":1e-400,"i":9007199254740991,"any":-9007199254740991}',
        '{"id":"js","n":40072132993161210}',
        '{"\\u0069d":"escaped key","s":"\\ud83d\\ude00 😀 שלום","day":"0001-01-01"}',
        '{"id":"ts","at":"2024-05-01 12:34:56.123+05:30","day":"9999-12-31"}',
        '{"id":"nonchar","s":"\\uffff\\ufffe","meta":{"":{"":[]}}}',
      ];
      const { errors, raw } = await ingest(records, contentType);
      expect(errors).toEqual([]);
      expect(await warehouse.loadObject(raw, stream)).toEqual({ rows: records.length, alreadyLoaded: false });
      const { records: rows } = await warehouse.preview(stream, 'raw', 100);
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get('nul')).toMatchObject({ s: 'a\u0000b', meta: { '\u0000': '\u0000' } });
      expect(byId.get('zero')).toMatchObject({ i: 0, n: 0, any: 0 });
      expect(Object.is(byId.get('zero')?.n, -0)).toBe(false);
      expect(byId.get('big')).toMatchObject({
        n: 1e308,
        any: 9007199254740992,
        meta: { x: 40072132993161210 },
      });
      expect(byId.get('small')).toMatchObject({ n: 0, i: 9007199254740991, any: -9007199254740991 });
      expect(byId.get('js')).toMatchObject({ n: 40072132993161210 });
      expect(byId.get('escaped key')).toMatchObject({ s: '😀 😀 שלום', day: '0001-01-01' });
      expect(byId.get('ts')).toMatchObject({ at: '2024-05-01T07:04:56.123Z', day: '9999-12-31' });
      expect(byId.get('nonchar')).toMatchObject({ s: '\uffff\ufffe', meta: { '': { '': [] } } });
    });
  }

  it('loads the quarantine copy of every rejected record, showing what could not be stored', async () => {
    const records = [
      '{"id":"lone","s":"\\ud800","meta":{"\\udc00":"x\\udbff"}}',
      '{"id":"inf","n":1e400,"meta":{"x":[-1e999]}}',
      '{"id":"int","any":9007199254740993,"meta":{"y":12345678901234567890123}}',
      '{"id":"sys","_id":"mine","_EXTRA":1}',
      '{"id":"k","\\ud800":1}',
      '{"id":"dup","s":"\\ud800","s":"fine"}',
    ];
    const { errors, raw, quarantine } = await ingest(records);
    expect(new Set(errors.map((e) => e.index)).size).toBe(records.length);
    expect(raw.records).toBe(0);
    expect(await warehouse.loadObject(quarantine, stream)).toEqual({
      rows: records.length,
      alreadyLoaded: false,
    });
    const { rejections } = await warehouse.rejections(stream, 100);
    const byIndex = new Map(rejections.map((r) => [r.index, r]));
    expect(byIndex.get(0)?.record).toEqual({ id: 'lone', s: '\\ud800', meta: { '\\udc00': 'x\\udbff' } });
    expect(byIndex.get(0)?.errors.map((e) => e.path)).toEqual(['/s', '/meta/\\udc00', '/meta/\\udc00']);
    expect(byIndex.get(1)?.record).toEqual({ id: 'inf', n: '1e400', meta: { x: ['-1e999'] } });
    expect(byIndex.get(2)?.record).toMatchObject({ id: 'int' });
    expect(byIndex.get(2)?.errors.map((e) => e.path)).toEqual(['/any', '/meta/y']);
    expect(byIndex.get(3)?.errors.map((e) => e.path)).toEqual(['/_id', '/_EXTRA']);
    expect(byIndex.get(4)?.record).toEqual({ id: 'k', '\\ud800': 1 });
    expect(byIndex.get(5)?.errors.map((e) => e.path)).toEqual(['/s']);
  });
});
