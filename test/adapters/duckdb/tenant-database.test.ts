import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { inTransaction, TenantDatabase } from '../../../api/adapters/duckdb/tenant-database.js';
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
