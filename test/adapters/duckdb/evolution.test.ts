import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../api/adapters/duckdb/index.js';
import type { Stream } from '../../../api/domain/streams/types.js';
import {
  inspect,
  lakeRecord,
  makeStream,
  removeDir,
  silentLogger,
  tempDir,
  writeObject,
} from './fixtures.js';

const v1 = makeStream({
  name: 'orders',
  schema: {
    type: 'object',
    properties: { id: { type: 'string' }, qty: { type: 'integer' }, note: { type: 'string' } },
  },
  entity: { key: ['id'] },
});
const v2: Stream = {
  ...v1,
  version: 2,
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      qty: { type: 'number' },
      note: { type: 'string' },
      placed_at: { type: 'string', format: 'date-time' },
    },
  },
};
// v3 drops `note` and turns on dedupe.
const v3: Stream = {
  ...v2,
  version: 3,
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      qty: { type: 'number' },
      placed_at: { type: 'string', format: 'date-time' },
    },
  },
  dedupe: { key: ['id'] },
};

describe('DuckDbWarehouse schema evolution', () => {
  let dir: string;
  let warehouse: DuckDbWarehouse;

  beforeEach(async () => {
    dir = await tempDir();
    warehouse = new DuckDbWarehouse({ dir, logger: silentLogger });
  });
  afterEach(async () => {
    await warehouse.close();
    await removeDir(dir);
  });

  it('adds columns and widens integer to number; old rows read NULL, new rows typed', async () => {
    await warehouse.createStream(v1);
    const old = await writeObject(dir, v1, 'v1.ndjson', [
      lakeRecord(v1, 1, 0, { id: 'a', qty: 3, note: 'first' }),
    ]);
    await warehouse.loadObject(old, v1);

    await warehouse.evolveStream(v1, v2);
    await warehouse.evolveStream(v1, v2); // a retried evolution is harmless
    const next = await writeObject(dir, v2, 'v2.ndjson', [
      lakeRecord(v2, 2, 0, { id: 'b', qty: 1.25, placed_at: '2026-02-03T04:05:06.789Z' }),
      lakeRecord(v2, 2, 1, { id: 'a', qty: 4 }),
    ]);
    expect(await warehouse.loadObject(next, v2)).toEqual({ rows: 2, alreadyLoaded: false });

    const raw = await warehouse.preview(v2, 'raw', 10);
    expect(
      raw.records.map(({ id, qty, note, placed_at, _schema_version }) => ({
        id,
        qty,
        note,
        placed_at,
        _schema_version,
      })),
    ).toEqual([
      { id: 'a', qty: 4, note: null, placed_at: null, _schema_version: 2 },
      { id: 'b', qty: 1.25, note: null, placed_at: '2026-02-03T04:05:06.789Z', _schema_version: 2 },
      { id: 'a', qty: 3, note: 'first', placed_at: null, _schema_version: 1 },
    ]);
    const entity = await warehouse.preview(v2, 'entity', 10);
    expect(entity.total).toBe(2);
    expect(entity.records.map((r) => [r.id, r.qty])).toEqual([
      ['a', 4],
      ['b', 1.25],
    ]);

    await warehouse.evolveStream(v2, v3);
    expect((await warehouse.preview(v3, 'deduped', 10)).records.map((r) => [r.id, r.qty])).toEqual([
      ['b', 1.25],
      ['a', 3],
    ]);
    // The removed property keeps its column, and its old values.
    expect((await warehouse.preview(v3, 'raw', 10)).records.at(-1)).toMatchObject({ id: 'a', note: 'first' });

    await warehouse.close();
    const columns = await inspect(
      dir,
      'acme',
      `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'orders' ORDER BY ordinal_position`,
    );
    expect(columns.filter((c) => !String(c.c).startsWith('_'))).toEqual([
      { c: 'id', t: 'VARCHAR' },
      { c: 'qty', t: 'DOUBLE' },
      { c: 'note', t: 'VARCHAR' },
      { c: 'placed_at', t: 'TIMESTAMP WITH TIME ZONE' },
    ]);
  });

  it('evolves a stream whose tables were never created', async () => {
    await warehouse.evolveStream(v1, v2);
    const obj = await writeObject(dir, v2, 'v2.ndjson', [lakeRecord(v2, 1, 0, { id: 'a', qty: 0.5 })]);
    await warehouse.loadObject(obj, v2);
    expect((await warehouse.preview(v2, 'entity', 1)).records[0]).toMatchObject({ id: 'a', qty: 0.5 });
  });

  it('a load carrying an older copy of the stream does not undo layer changes', async () => {
    await warehouse.evolveStream(v2, v3);
    await warehouse.close();
    warehouse = new DuckDbWarehouse({ dir, logger: silentLogger });
    const obj = await writeObject(dir, v2, 'stale.ndjson', [
      lakeRecord(v2, 1, 0, { id: 'a', qty: 1 }),
      lakeRecord(v2, 1, 1, { id: 'a', qty: 2 }),
    ]);
    await warehouse.loadObject(obj, v2);
    expect((await warehouse.preview(v3, 'deduped', 10)).records.map((r) => r.qty)).toEqual([1]);
  });
});
