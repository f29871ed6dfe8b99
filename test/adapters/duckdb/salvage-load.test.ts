import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../api/adapters/duckdb/index.js';
import { DependencyUnavailableError, LoadDataError } from '../../../api/domain/errors.js';
import {
  lakeRecord,
  quarantineRecord,
  removeDir,
  row,
  silentLogger,
  tempDir,
  users,
  writeObject,
} from './fixtures.js';

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

  describe('salvage: an object the warehouse refuses loads its good lines and quarantines the bad ones', () => {
    const good = (batch: number, i: number) => lakeRecord(users, batch, i, row(`e${batch}-${i}`, `u${i}`, i));
    // A lone surrogate, as the JSON escape ingest wrote before it checked text (DuckDB refuses it).
    const surrogate = JSON.stringify(lakeRecord(users, 2, 1, row('s', 'u', 1, 'x'))).replace(
      '"name"',
      '"name":"\\ud800","n"',
    );
    const truncated = JSON.stringify(lakeRecord(users, 2, 3, row('t', 'u', 1))).slice(0, 150);
    const uncastable = lakeRecord(users, 2, 5, row('c', 'u', 1, 'n', { version: 'seven' }));
    const notAnObject = '[1,2,3]';

    async function badObject(name = 'bad.ndjson') {
      const lines = [
        good(1, 0),
        good(1, 1),
        surrogate,
        good(2, 2),
        truncated,
        good(2, 4),
        uncastable,
        notAnObject,
        good(3, 0),
      ];
      const obj = await writeObject(dir, users, name, lines);
      return obj;
    }

    it('loads every good line once, quarantines each bad one with reason load_failed, and records the object', async () => {
      await warehouse.createStream(users);
      const obj = await badObject();
      await expect(warehouse.loadObject(obj, users)).rejects.toBeInstanceOf(LoadDataError);

      const result = await warehouse.salvageObject(obj, users);
      expect(result).toEqual({
        key: obj.key,
        rows: 5,
        alreadyLoaded: false,
        failed: 4,
        failedBatches: { b00000002: 3 },
      });
      const raw = await warehouse.preview(users, 'raw', 100);
      expect(raw.records.map((r) => r.event_id).sort()).toEqual(['e1-0', 'e1-1', 'e2-2', 'e2-4', 'e3-0']);

      const { total, rejections } = await warehouse.rejections(users, 100);
      expect(total).toBe(4);
      expect(rejections.every((r) => r.reason === 'load_failed')).toBe(true);
      const byIndex = new Map(rejections.map((r) => [r.index, r]));
      // The record is the line's text, stored as a JSON string.
      expect(byIndex.get(1)?.record).toBe(surrogate);
      expect(byIndex.get(1)?.errors[0].message).toMatch(/load failed: .*surrogate/);
      expect(byIndex.get(1)?.errors[0].message).toContain(obj.key);
      expect(byIndex.get(1)?.batchId).toBe('b00000002');
      expect(byIndex.get(1)?.receivedAt).toBe('2026-01-01T00:00:02.001Z');
      expect(byIndex.get(3)?.record).toBe(truncated);
      expect(byIndex.get(3)?.errors[0].message).toMatch(/Malformed JSON/);
      expect(byIndex.get(5)?.errors[0].message).toMatch(/Failed to cast/);
      const unknown = rejections.find((r) => r.record === notAnObject);
      expect(unknown).toMatchObject({ batchId: '', index: -1, receivedAt: '' });
      expect(unknown?.errors[0].message).toMatch(/Expected OBJECT/);

      // Exactly once: the history holds the object, so neither path loads it again.
      expect(await warehouse.salvageObject(obj, users)).toEqual({
        key: obj.key,
        rows: 0,
        alreadyLoaded: true,
      });
      expect(await warehouse.loadObjects([obj], users)).toEqual([
        { key: obj.key, rows: 0, alreadyLoaded: true },
      ]);
      expect((await warehouse.preview(users, 'raw', 0)).total).toBe(5);
      expect((await warehouse.rejections(users, 0)).total).toBe(4);
      expect(await warehouse.loadFailures('acme', [obj.key, 'other'])).toEqual(
        new Map([[obj.key, { b00000002: 3 }]]),
      );
      // No temporary file is left behind.
      expect(await readdir(path.join(dir, '.salvage'))).toEqual([]);
    });

    it('stores a line that is not well-formed UTF-8, with the bad bytes written as text', async () => {
      await warehouse.createStream(users);
      const obj = await writeObject(dir, users, 'bytes.ndjson.gz', [good(1, 0), 'PLACEHOLDER', good(1, 2)]);
      const text = gunzipSync(await readFile(obj.path));
      const at = text.indexOf('PLACEHOLDER');
      const bad = Buffer.concat([
        Buffer.from('{"_batch_id":"b00000001","_index":1,"record":{"name":"'),
        Buffer.from([0xed, 0xa0, 0x80, 0xff]),
        Buffer.from('"}}'),
      ]);
      await writeFile(
        obj.path,
        gzipSync(Buffer.concat([text.subarray(0, at), bad, text.subarray(at + 'PLACEHOLDER'.length)])),
      );
      await expect(warehouse.loadObject(obj, users)).rejects.toBeInstanceOf(LoadDataError);
      expect(await warehouse.salvageObject(obj, users)).toMatchObject({
        rows: 2,
        failed: 1,
        failedBatches: { b00000001: 1 },
      });
      const [rejection] = (await warehouse.rejections(users, 10)).rejections;
      expect(rejection.record).toBe(
        '{"_batch_id":"b00000001","_index":1,"record":{"name":"\\xED\\xA0\\x80\\xFF"}}',
      );
      expect(rejection).toMatchObject({ reason: 'load_failed', batchId: 'b00000001', index: 1 });
    });

    it('loads what is there of an object with fewer lines than were written, counting the rest as failed', async () => {
      await warehouse.createStream(users);
      const obj = await writeObject(dir, users, 'short.ndjson', [good(1, 0), good(1, 1)]);
      obj.records = 3;
      await expect(warehouse.loadObject(obj, users)).rejects.toBeInstanceOf(LoadDataError);
      expect(await warehouse.salvageObject(obj, users)).toMatchObject({
        rows: 2,
        failed: 1,
        failedBatches: {},
      });
      expect((await warehouse.preview(users, 'raw', 0)).total).toBe(2);
      expect((await warehouse.rejections(users, 0)).total).toBe(0);
    });

    it('salvages a quarantine object the same way', async () => {
      await warehouse.createStream(users);
      const good = quarantineRecord(users, 1, 0, { event_id: 5 }, 'must be string');
      const obj = await writeObject(
        dir,
        users,
        'q-bad.ndjson',
        [good, '{"_batch_id":"b00000001","_index":1,"rec'],
        'quarantine',
      );
      await expect(warehouse.loadObject(obj, users)).rejects.toBeInstanceOf(LoadDataError);
      expect(await warehouse.salvageObject(obj, users)).toMatchObject({
        rows: 1,
        failed: 1,
        failedBatches: { b00000001: 1 },
      });
      const { rejections } = await warehouse.rejections(users, 10);
      expect(rejections.map((r) => [r.index, r.reason])).toEqual([
        [1, 'load_failed'],
        [0, 'validation'],
      ]);
    });

    it('quarantines nothing when the object cannot be read (a dependency error)', async () => {
      await warehouse.createStream(users);
      const obj = await badObject();
      obj.path = `${obj.path}.missing`;
      const error = await warehouse.salvageObject(obj, users).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).not.toBeInstanceOf(LoadDataError);
      expect((await warehouse.rejections(users, 0)).total).toBe(0);
      expect((await warehouse.loadedKeys('acme')).size).toBe(0);
    });
  });
});
