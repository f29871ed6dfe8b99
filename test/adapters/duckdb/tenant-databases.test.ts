import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../api/adapters/duckdb/index.js';
import { DependencyUnavailableError } from '../../../api/domain/errors.js';
import { lakeRecord, removeDir, row, silentLogger, tempDir, users, writeObject } from './fixtures.js';

describe('DuckDbWarehouse', () => {
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

  describe('a tenant database file that is removed, replaced or corrupt', () => {
    it('reopens a file removed while open, after one clear dependency error', async () => {
      await warehouse.createStream(users);
      const a = await writeObject(dir, users, 'a.ndjson', [lakeRecord(users, 1, 0, row('e1', 'u1', 1))]);
      await warehouse.loadObject(a, users);
      await rm(path.join(dir, 'acme.duckdb'));
      await rm(path.join(dir, 'acme.duckdb.wal'), { force: true });
      const b = await writeObject(dir, users, 'b.ndjson', [lakeRecord(users, 2, 0, row('e2', 'u1', 1))]);
      const error = await warehouse.loadObject(b, users).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect((error as Error).message).toMatch(/acme\.duckdb was removed while open/);
      // The next attempt opens a fresh file: the stream's tables are made again and the object loads.
      expect(await warehouse.loadObject(b, users)).toEqual({ rows: 1, alreadyLoaded: false });
      expect([...(await warehouse.loadedKeys('acme'))]).toEqual([b.key]);
    });

    it('answers a dependency error, never a data error, while the file is garbage, and recovers once it is removed', async () => {
      await warehouse.createStream(users);
      await warehouse.close();
      await writeFile(path.join(dir, 'acme.duckdb'), Buffer.alloc(64 * 1024, 0x5a));
      warehouse = new DuckDbWarehouse({ dir, logger: silentLogger });
      const a = await writeObject(dir, users, 'a.ndjson', [lakeRecord(users, 1, 0, row('e1', 'u1', 1))]);
      for (let i = 0; i < 2; i++) {
        const error = await warehouse.loadObject(a, users).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DependencyUnavailableError);
        expect((error as Error).message).toMatch(/not a valid DuckDB database file/);
        const salvage = await warehouse.salvageObject(a, users).catch((e: unknown) => e);
        expect(salvage).toBeInstanceOf(DependencyUnavailableError);
      }
      await rm(path.join(dir, 'acme.duckdb'));
      expect(await warehouse.loadObject(a, users)).toEqual({ rows: 1, alreadyLoaded: false });
    });
  });
});
