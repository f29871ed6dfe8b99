import { afterAll, beforeAll, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../api/adapters/duckdb/index.js';
import { lakeRecord, makeStream, removeDir, silentLogger, tempDir, writeObject } from './fixtures.js';

const ROWS = 100_000;
const stream = makeStream({
  name: 'clicks',
  schema: {
    type: 'object',
    properties: {
      user_id: { type: 'string' },
      page: { type: 'string' },
      amount: { type: 'number' },
      count: { type: 'integer' },
      at: { type: 'string', format: 'date-time' },
      ok: { type: 'boolean' },
      props: { type: 'object' },
    },
  },
  dedupe: { key: ['user_id', 'count'] },
});

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await removeDir(dir);
});

// A sanity check, not a benchmark: the rate is printed, never asserted.
it(`loads ${ROWS} rows in one bulk statement`, async () => {
  const lines = Array.from({ length: ROWS }, (_, i) =>
    lakeRecord(
      stream,
      Math.floor(i / 500),
      i % 500,
      {
        user_id: `u${i % 1000}`,
        page: '/home',
        amount: i / 4,
        count: i,
        at: new Date(1.7e12 + i * 1000).toISOString(),
        ok: i % 2 === 0,
        props: { i },
      },
      i % 3 === 0 ? { ref: 'x' } : undefined,
    ),
  );
  const warehouse = new DuckDbWarehouse({ dir, logger: silentLogger });
  try {
    await warehouse.createStream(stream);
    for (const name of ['plain.ndjson', 'packed.ndjson.gz']) {
      const obj = await writeObject(dir, { ...stream, name: 'clicks' }, name, lines);
      const started = performance.now();
      const result = await warehouse.loadObject(obj, stream);
      const seconds = (performance.now() - started) / 1000;
      expect(result.rows).toBe(ROWS);
      console.log(
        `duckdb load ${name}: ${ROWS} rows, ${(obj.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s = ${Math.round(ROWS / seconds)} rows/s`,
      );
    }
    expect((await warehouse.preview(stream, 'raw', 0)).total).toBe(2 * ROWS);
    expect((await warehouse.preview(stream, 'deduped', 0)).total).toBe(ROWS);
  } finally {
    await warehouse.close();
  }
});
