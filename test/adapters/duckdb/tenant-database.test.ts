import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  inTransaction,
  isOutOfMemory,
  parseBytes,
  TenantDatabase,
} from '../../../api/adapters/duckdb/tenant-database.js';
import { removeDir, tempDir } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

it('opens with the settings loads rely on', async () => {
  const db = await TenantDatabase.open(path.join(dir, 't.duckdb'), { threads: 1, memoryLimit: '64MB' });
  try {
    const reader = await db.exclusive((c) =>
      c.runAndReadAll(
        `SELECT current_setting('TimeZone'), current_setting('threads'), current_setting('max_vacuum_tasks'), current_setting('preserve_insertion_order'), current_setting('disabled_compression_methods')`,
      ),
    );
    expect(reader.getRows()[0].map(String)).toEqual(['UTC', '1', '0', 'false', 'FSST,ZSTD']);
  } finally {
    await db.close();
  }
});

it('rolls a failed transaction back entirely', async () => {
  const db = await TenantDatabase.open(path.join(dir, 't.duckdb'));
  try {
    await db.exclusive((c) => c.run('CREATE TABLE t (x INTEGER)'));
    const error = await db
      .exclusive((c) =>
        inTransaction(c, async () => {
          await c.run('INSERT INTO t SELECT range FROM range(200000)');
          throw new Error('row count mismatch');
        }),
      )
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('row count mismatch');
    const reader = await db.exclusive((c) => c.runAndReadAll('SELECT count(*) FROM t'));
    expect(Number(reader.getRows()[0][0])).toBe(0);
  } finally {
    await db.close();
  }
});

it('reopens the database when the table blocks it keeps pinned pass their share of the limit', async () => {
  const reasons: string[] = [];
  const db = await TenantDatabase.open(path.join(dir, 't.duckdb'), {
    threads: 1,
    memoryLimit: '64MB',
    // Any pinned block at all passes this share, so the first check after a checkpoint reopens.
    recycleShare: 1e-6,
    checkEveryMs: 0,
    onRecycle: (reason) => reasons.push(reason),
  });
  try {
    await db.exclusive((c) => c.run('CREATE TABLE t (x BIGINT, s VARCHAR)'));
    expect(reasons).toEqual([]);
    await db.exclusive(async (c) => {
      await c.run(`INSERT INTO t SELECT range, 'row ' || range FROM range(300000)`);
      await c.run('CHECKPOINT');
    });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/MiB of table blocks held$/);
    // The reopened database has the rows and the same session settings.
    const reader = await db.exclusive((c) =>
      c.runAndReadAll(`SELECT count(*), current_setting('TimeZone') FROM t`),
    );
    expect(reader.getRows()[0].map(String)).toEqual(['300000', 'UTC']);
  } finally {
    await db.close();
  }
});

it('reopens after an out-of-memory error and passes the error on', async () => {
  const reasons: string[] = [];
  const file = path.join(dir, 'rows.ndjson');
  await writeFile(file, '{"x":1}\n{"x":2}\n');
  // The JSON reader alone asks for a 32 MB buffer, more than this limit allows.
  const db = await TenantDatabase.open(path.join(dir, 't.duckdb'), {
    threads: 1,
    memoryLimit: '20MB',
    onRecycle: (reason) => reasons.push(reason),
  });
  try {
    const error = await db
      .exclusive((c) =>
        c.runAndReadAll(`SELECT count(*) FROM read_ndjson('${file}', columns = {'x': 'BIGINT'})`),
      )
      .catch((e: unknown) => e);
    expect(isOutOfMemory(error)).toBe(true);
    expect(reasons).toEqual(['out of memory']);
    const reader = await db.exclusive((c) => c.runAndReadAll('SELECT 41 + 1'));
    expect(Number(reader.getRows()[0][0])).toBe(42);
  } finally {
    await db.close();
  }
});

it('reads DuckDB memory limits as DuckDB does', () => {
  expect(parseBytes('64MB')).toBe(64_000_000);
  expect(parseBytes('1.5GiB')).toBe(1.5 * 2 ** 30);
  expect(parseBytes(' 512 kb ')).toBe(512_000);
  expect(parseBytes('2048')).toBe(2048);
  expect(parseBytes('lots')).toBeUndefined();
  expect(parseBytes('12 parsecs')).toBeUndefined();
});
