import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../../api/adapters/duckdb/index.js';
import { DependencyUnavailableError, InvalidInputError, LoadDataError } from '../../../api/domain/errors.js';
import type { Stream } from '../../../api/domain/streams/types.js';
import {
  inspect,
  lakeRecord,
  makeStream,
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

  async function loadUsers(): Promise<string[]> {
    await warehouse.createStream(users);
    const first = await writeObject(dir, users, 'a.ndjson', [
      lakeRecord(
        users,
        1,
        0,
        row('e1', 'u1', 1, 'A', {
          seen_at: '2026-03-04T05:06:07.123Z',
          day: '2026-03-04',
          score: 1.5,
          tags: ['x', 'y'],
        }),
      ),
      lakeRecord(users, 1, 1, row('e2', 'u2', 1, 'B'), { utm: 'mail', nested: { a: 1 } }),
      lakeRecord(users, 1, 2, row('e1', 'u1', 1, 'A-dup')),
      lakeRecord(users, 1, 3, row('e3', 'u1', 3, 'C')),
      lakeRecord(users, 2, 0, row('e4', 'u1', 2, 'D')),
      lakeRecord(users, 2, 1, row('e5', 'u2', 1, 'E')),
      lakeRecord(users, 2, 2, row('e6', 'u3', 1, 'F')),
      lakeRecord(users, 2, 3, row('e7', 'u3', 2, undefined, { deleted: true })),
      lakeRecord(users, 2, 4, row('e8', 'u4', null, 'G')),
    ]);
    const second = await writeObject(dir, users, 'b.ndjson.gz', [
      lakeRecord(users, 3, 0, row('e9', 'u5', 1, 'I')),
      lakeRecord(users, 3, 1, row('e10', 'u5', null, 'H')),
      lakeRecord(users, 3, 2, row('e11', 'u6', 1, 'gone', { deleted: true })),
      lakeRecord(
        users,
        3,
        3,
        row('e12', 'u6', 2, 'J', { deleted: false, seen_at: '2026-03-04T07:06:07+02:00' }),
        { utm: 'ads' },
      ),
    ]);
    expect(await warehouse.loadObject(first, users)).toEqual({ rows: 9, alreadyLoaded: false });
    expect(await warehouse.loadObject(second, users)).toEqual({ rows: 4, alreadyLoaded: false });
    return [first.key, second.key];
  }

  it('loads plain and gzipped objects into raw, deduped and entity layers', async () => {
    await loadUsers();

    const raw = await warehouse.preview(users, 'raw', 100);
    expect(raw.total).toBe(13);
    expect(raw.records.map((r) => r.event_id)).toEqual([
      'e12',
      'e11',
      'e10',
      'e9',
      'e8',
      'e7',
      'e6',
      'e5',
      'e4',
      'e3',
      'e1',
      'e2',
      'e1',
    ]);

    const deduped = await warehouse.preview(users, 'deduped', 100);
    expect(deduped.total).toBe(12);
    expect(deduped.records.find((r) => r.event_id === 'e1')?.name).toBe('A');

    const entity = await warehouse.preview(users, 'entity', 100);
    expect(entity.total).toBe(5);
    const byUser = Object.fromEntries(entity.records.map((r) => [r.user_id, r.name]));
    // u1: highest version wins over later arrival; u2: version tie goes to the later row;
    // u3: latest row deletes; u5: a NULL version is lowest; u6: deleted then restored.
    expect(byUser).toEqual({ u1: 'C', u2: 'E', u4: 'G', u5: 'I', u6: 'J' });
  });

  it('previews typed values as plain JSON with undeclared fields merged back', async () => {
    await loadUsers();
    const { records } = await warehouse.preview(users, 'raw', 100);
    const first = records.find((r) => r._id === 'b00000001-0');
    expect(first).toEqual({
      event_id: 'e1',
      user_id: 'u1',
      version: 1,
      name: 'A',
      deleted: null,
      seen_at: '2026-03-04T05:06:07.123Z',
      day: '2026-03-04',
      score: 1.5,
      tags: ['x', 'y'],
      _id: 'b00000001-0',
      _batch_id: 'b00000001',
      _received_at: '2026-01-01T00:00:01.000Z',
      _schema_version: 1,
    });
    const withExtra = records.find((r) => r._id === 'b00000001-1');
    expect(withExtra).toMatchObject({
      event_id: 'e2',
      utm: 'mail',
      nested: { a: 1 },
      score: null,
      tags: null,
    });
    const offset = records.find((r) => r._id === 'b00000003-3');
    expect(offset).toMatchObject({ seen_at: '2026-03-04T05:06:07.000Z', deleted: false, utm: 'ads' });

    const limited = await warehouse.preview(users, 'entity', 2);
    expect(limited.total).toBe(5);
    expect(limited.records.map((r) => r.user_id)).toEqual(['u6', 'u5']);
  });

  it('keeps undeclared fields in _extra and absent declared fields as NULL', async () => {
    await loadUsers();
    await warehouse.close();
    const rows = await inspect(
      dir,
      'acme',
      `SELECT count(*) FILTER (WHERE _extra IS NOT NULL) AS extra, count(*) FILTER (WHERE score IS NULL) AS no_score,
              count(*) FILTER (WHERE version IS NULL) AS no_version, max(_extra->>'$.utm') AS utm FROM raw.users`,
    );
    expect(rows).toEqual([{ extra: '2', no_score: '12', no_version: '2', utm: 'mail' }]);
  });

  it('creates typed tables idempotently', async () => {
    await warehouse.createStream(users);
    await warehouse.createStream(users);
    await warehouse.close();
    const columns = await inspect(
      dir,
      'acme',
      `SELECT table_schema || '.' || column_name AS c, data_type AS t FROM information_schema.columns
       WHERE table_name = 'users' AND table_schema IN ('raw', 'quarantine') ORDER BY table_schema, ordinal_position`,
    );
    expect(columns.map((c) => `${String(c.c)} ${String(c.t)}`)).toEqual([
      'quarantine.record JSON',
      'quarantine.errors JSON',
      'quarantine._batch_id VARCHAR',
      'quarantine._index INTEGER',
      'quarantine._received_at TIMESTAMP WITH TIME ZONE',
      'quarantine._schema_version INTEGER',
      'quarantine.reason VARCHAR',
      'raw.event_id VARCHAR',
      'raw.user_id VARCHAR',
      'raw.version BIGINT',
      'raw.name VARCHAR',
      'raw.deleted BOOLEAN',
      'raw.seen_at TIMESTAMP WITH TIME ZONE',
      'raw.day DATE',
      'raw.score DOUBLE',
      'raw.tags JSON',
      'raw._extra JSON',
      'raw._id VARCHAR',
      'raw._batch_id VARCHAR',
      'raw._index INTEGER',
      'raw._received_at TIMESTAMP WITH TIME ZONE',
      'raw._schema_version INTEGER',
    ]);
    const history = await inspect(dir, 'acme', `SELECT count(*) AS n FROM _tributary.load_history`);
    expect(history).toEqual([{ n: '0' }]);
  });

  it('loads each object exactly once, also under concurrent duplicate notifications', async () => {
    const loaded = await loadUsers();
    const again = await writeObject(dir, users, 'a.ndjson', [
      lakeRecord(users, 1, 0, row('e1', 'u1', 1, 'A')),
    ]);
    again.records = 9; // same key as before: the history row decides, not the content
    expect(await warehouse.loadObject(again, users)).toEqual({ rows: 0, alreadyLoaded: true });

    const fresh = await writeObject(dir, users, 'c.ndjson', [
      lakeRecord(users, 4, 0, row('e13', 'u7', 1, 'K')),
    ]);
    const results = await Promise.all([
      warehouse.loadObject(fresh, users),
      warehouse.loadObject({ ...fresh }, users),
    ]);
    expect(results.map((r) => r.alreadyLoaded).sort()).toEqual([false, true]);
    expect(results.reduce((n, r) => n + r.rows, 0)).toBe(1);
    expect((await warehouse.preview(users, 'raw', 0)).total).toBe(14);

    expect(again.key).toBe(loaded[0]);
    expect([...(await warehouse.loadedKeys('acme'))].sort()).toEqual([...loaded, fresh.key].sort());

    const at = await warehouse.loadedAt('acme', [fresh.key, 'raw/never-loaded.ndjson']);
    expect([...at.keys()]).toEqual([fresh.key]);
    expect(at.get(fresh.key)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z$/);
  });

  it('survives a restart: load history lives in the tenant database', async () => {
    await loadUsers();
    await warehouse.close();
    warehouse = new DuckDbWarehouse({ dir, logger: silentLogger });
    expect((await warehouse.loadedKeys('acme')).size).toBe(2);
    const [key] = await warehouse.loadedKeys('acme');
    const obj = await writeObject(dir, users, key.split('/').pop() ?? '', [
      lakeRecord(users, 9, 0, row('e99', 'u9', 1)),
    ]);
    expect(await warehouse.loadObject(obj, users)).toEqual({ rows: 0, alreadyLoaded: true });
    expect((await warehouse.preview(users, 'raw', 0)).total).toBe(13);
  });

  it('creates missing tables on the first load of a stream', async () => {
    const stream = makeStream({ tenant: 'other' });
    const obj = await writeObject(dir, stream, 'x.ndjson', [lakeRecord(stream, 1, 0, { id: 'a' })]);
    expect(await warehouse.loadObject(obj, stream)).toEqual({ rows: 1, alreadyLoaded: false });
    expect(await warehouse.preview(stream, 'raw', 10)).toMatchObject({ total: 1, records: [{ id: 'a' }] });
    expect((await readdir(dir)).filter((f) => f.endsWith('.duckdb'))).toEqual(['other.duckdb']);
  });

  it('answers empty for tenants, streams and layers that do not exist yet, creating nothing', async () => {
    expect(await warehouse.preview(users, 'raw', 10)).toEqual({ total: 0, records: [] });
    expect(await warehouse.rejections(users, 10)).toEqual({ total: 0, rejections: [] });
    expect((await warehouse.loadedKeys('acme')).size).toBe(0);
    expect((await warehouse.loadedAt('acme', ['k'])).size).toBe(0);
    expect(await readdir(dir)).toEqual([]);

    await warehouse.createStream(makeStream());
    expect(await warehouse.preview(users, 'raw', 10)).toEqual({ total: 0, records: [] });
    expect(await warehouse.preview(makeStream(), 'entity', 10)).toEqual({ total: 0, records: [] });
  });

  it('loads quarantine objects and reads rejections newest first', async () => {
    await warehouse.createStream(users);
    const obj = await writeObject(
      dir,
      users,
      'q.ndjson',
      [
        quarantineRecord(users, 1, 0, { event_id: 5 }, 'must be string'),
        quarantineRecord(users, 1, 2, 'not an object', 'must be object'),
        quarantineRecord(users, 2, 0, [1, 2], 'must be object'),
      ],
      'quarantine',
    );
    expect(await warehouse.loadObject(obj, users)).toEqual({ rows: 3, alreadyLoaded: false });
    expect(await warehouse.loadObject(obj, users)).toEqual({ rows: 0, alreadyLoaded: true });
    const result = await warehouse.rejections(users, 2);
    expect(result.total).toBe(3);
    expect(result.rejections).toEqual([
      {
        record: [1, 2],
        errors: [{ path: '/x', message: 'must be object' }],
        reason: 'validation',
        receivedAt: '2026-01-01T00:00:02.000Z',
        batchId: 'b00000002',
        index: 0,
      },
      {
        record: 'not an object',
        errors: [{ path: '/x', message: 'must be object' }],
        reason: 'validation',
        receivedAt: '2026-01-01T00:00:01.002Z',
        batchId: 'b00000001',
        index: 2,
      },
    ]);
    expect((await warehouse.preview(users, 'raw', 1)).total).toBe(0);
  });

  describe('group loads', () => {
    const raw = (batch: number, n: number): object[] =>
      Array.from({ length: n }, (_, i) => lakeRecord(users, batch, i, row(`e${batch}-${i}`, `u${i % 3}`, i)));

    async function counts(): Promise<{ raw: number; deduped: number; entity: number; rejections: number }> {
      return {
        raw: (await warehouse.preview(users, 'raw', 0)).total,
        deduped: (await warehouse.preview(users, 'deduped', 0)).total,
        entity: (await warehouse.preview(users, 'entity', 0)).total,
        rejections: (await warehouse.rejections(users, 0)).total,
      };
    }

    it('loads several objects, plain and gzipped, in one call with exact counts and history', async () => {
      await warehouse.createStream(users);
      const a = await writeObject(dir, users, 'a.ndjson', raw(1, 3));
      const b = await writeObject(dir, users, 'b.ndjson.gz', raw(2, 2));
      // A replayed record (same event id) is a raw row but not a deduped one.
      const c = await writeObject(dir, users, 'c.ndjson', [
        ...raw(3, 4),
        lakeRecord(users, 3, 4, row('e1-0', 'u0', 9)),
      ]);
      expect(await warehouse.loadObjects([a, b, c], users)).toEqual([
        { key: a.key, rows: 3, alreadyLoaded: false },
        { key: b.key, rows: 2, alreadyLoaded: false },
        { key: c.key, rows: 5, alreadyLoaded: false },
      ]);
      expect(await counts()).toEqual({ raw: 10, deduped: 9, entity: 3, rejections: 0 });
      await warehouse.close();
      const history = await inspect(
        dir,
        'acme',
        `SELECT "key", "stream", "kind", "rows", "bytes" FROM _tributary.load_history ORDER BY "key"`,
      );
      expect(history).toEqual(
        [a, b, c].map((o) => ({
          key: o.key,
          stream: 'users',
          kind: 'raw',
          rows: String(o.records),
          bytes: String(o.bytes),
        })),
      );
    });

    it('loads only the objects the history does not hold yet, and a key given twice once', async () => {
      await warehouse.createStream(users);
      const a = await writeObject(dir, users, 'a.ndjson', raw(1, 3));
      const b = await writeObject(dir, users, 'b.ndjson', raw(2, 2));
      const c = await writeObject(dir, users, 'c.ndjson', raw(3, 4));
      expect(await warehouse.loadObjects([b], users)).toEqual([
        { key: b.key, rows: 2, alreadyLoaded: false },
      ]);
      expect(await warehouse.loadObjects([a, b, c, { ...a }], users)).toEqual([
        { key: a.key, rows: 3, alreadyLoaded: false },
        { key: b.key, rows: 0, alreadyLoaded: true },
        { key: c.key, rows: 4, alreadyLoaded: false },
        { key: a.key, rows: 0, alreadyLoaded: true },
      ]);
      expect((await counts()).raw).toBe(9);
      expect(await warehouse.loadObjects([c, a], users)).toEqual([
        { key: c.key, rows: 0, alreadyLoaded: true },
        { key: a.key, rows: 0, alreadyLoaded: true },
      ]);
      expect((await counts()).raw).toBe(9);
      expect([...(await warehouse.loadedKeys('acme'))].sort()).toEqual([a.key, b.key, c.key].sort());
    });

    it('loads raw and quarantine objects mixed in one group', async () => {
      await warehouse.createStream(users);
      const a = await writeObject(dir, users, 'a.ndjson', raw(1, 3));
      const q = await writeObject(
        dir,
        users,
        'q.ndjson',
        [quarantineRecord(users, 1, 3, { x: 1 }, 'bad'), quarantineRecord(users, 2, 2, 'nope', 'bad')],
        'quarantine',
      );
      const b = await writeObject(dir, users, 'b.ndjson.gz', raw(2, 2));
      expect(await warehouse.loadObjects([a, q, b], users)).toEqual([
        { key: a.key, rows: 3, alreadyLoaded: false },
        { key: q.key, rows: 2, alreadyLoaded: false },
        { key: b.key, rows: 2, alreadyLoaded: false },
      ]);
      expect(await counts()).toEqual({ raw: 5, deduped: 5, entity: 3, rejections: 2 });
      await warehouse.close();
      const kinds = await inspect(
        dir,
        'acme',
        `SELECT "kind", count(*) AS n, sum("rows") AS r FROM _tributary.load_history GROUP BY "kind" ORDER BY "kind"`,
      );
      expect(kinds).toEqual([
        { kind: 'quarantine', n: '1', r: '2' },
        { kind: 'raw', n: '2', r: '5' },
      ]);
    });

    it.each([
      ['a raw object', 'raw'],
      ['a quarantine object', 'quarantine'],
    ] as const)(
      'fails the whole group, loading nothing, when %s has other rows than written',
      async (_name, kind) => {
        await warehouse.createStream(users);
        const before = await writeObject(dir, users, 'before.ndjson', raw(1, 2));
        await warehouse.loadObjects([before], users);
        const a = await writeObject(dir, users, 'a.ndjson', raw(2, 3));
        const q = await writeObject(
          dir,
          users,
          'q.ndjson',
          [quarantineRecord(users, 2, 3, { x: 1 }, 'bad')],
          'quarantine',
        );
        const b = await writeObject(dir, users, 'b.ndjson', raw(3, 2));
        if (kind === 'raw') b.records = 3;
        else q.records = 2;
        const error = await warehouse.loadObjects([a, q, b], users).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LoadDataError);
        const named = kind === 'raw' ? [a.key, b.key] : [q.key];
        for (const key of named) expect((error as Error).message).toContain(key);
        expect(await counts()).toEqual({ raw: 2, deduped: 2, entity: 2, rejections: 0 });
        expect([...(await warehouse.loadedKeys('acme'))]).toEqual([before.key]);

        // Fixed, the same group loads.
        b.records = 2;
        q.records = 1;
        expect((await warehouse.loadObjects([a, q, b], users)).map((r) => r.rows)).toEqual([3, 1, 2]);
        expect(await counts()).toMatchObject({ raw: 7, rejections: 1 });
      },
    );

    it('fails the whole group, loading nothing, when one object is malformed', async () => {
      await warehouse.createStream(users);
      const a = await writeObject(dir, users, 'a.ndjson', raw(1, 3));
      const bad = await writeObject(dir, users, 'bad.ndjson', [
        lakeRecord(users, 2, 0, row('e', 'u', 1)),
        '{"_id":',
      ]);
      const error = await warehouse.loadObjects([a, bad], users).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoadDataError);
      expect((await warehouse.loadedKeys('acme')).size).toBe(0);
      expect((await counts()).raw).toBe(0);
    });

    it('refuses a group with any bad path or any object of another stream before running anything', async () => {
      const stream = makeStream();
      const ok = {
        tenant: 'acme',
        stream: 'events',
        kind: 'raw' as const,
        key: 'k1',
        path: '/dev/null',
        bytes: 0,
        records: 0,
      };
      await expect(
        warehouse.loadObjects([ok, { ...ok, key: 'k2', path: '/tmp/x[1].ndjson' }], stream),
      ).rejects.toBeInstanceOf(InvalidInputError);
      await expect(
        warehouse.loadObjects(
          [ok, { ...ok, key: 'k2', kind: 'quarantine', path: '/tmp/{a,b}.ndjson' }],
          stream,
        ),
      ).rejects.toBeInstanceOf(InvalidInputError);
      await expect(
        warehouse.loadObjects([ok, { ...ok, key: 'k2', tenant: 'beta' }], stream),
      ).rejects.toBeInstanceOf(InvalidInputError);
      expect(await readdir(dir)).toEqual([]);
      expect(await warehouse.loadObjects([], stream)).toEqual([]);
    });
  });

  describe('malformed objects raise a data error and record nothing', () => {
    const cases: Array<[string, Array<string | object>, number?]> = [
      ['a truncated line', [lakeRecord(users, 1, 0, row('e1', 'u1', 1)), '{"_id":"x","_batch_id":"b1","rec']],
      [
        'a value of the wrong type',
        [
          lakeRecord(users, 1, 0, row('e1', 'u1', 1)),
          lakeRecord(users, 1, 1, row('e2', 'u1', 1, 'n', { version: 'seven' })),
        ],
      ],
      ['a bad timestamp', [lakeRecord(users, 1, 0, row('e1', 'u1', 1, 'n', { seen_at: 'yesterday' }))]],
      ['a line that is not an object', [lakeRecord(users, 1, 0, row('e1', 'u1', 1)), '[1,2,3]']],
      ['fewer rows than were written', [lakeRecord(users, 1, 0, row('e1', 'u1', 1))], 2],
    ];
    it.each(cases)('%s', async (_name, lines, records) => {
      await warehouse.createStream(users);
      const obj = await writeObject(dir, users, 'bad.ndjson', lines);
      if (records !== undefined) obj.records = records;
      const error = await warehouse.loadObject(obj, users).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoadDataError);
      expect((await warehouse.loadedKeys('acme')).size).toBe(0);
      expect((await warehouse.preview(users, 'raw', 0)).total).toBe(0);
    });

    it('a missing file', async () => {
      const obj = await writeObject(dir, users, 'gone.ndjson', [lakeRecord(users, 1, 0, row('e1', 'u1', 1))]);
      obj.path = `${obj.path}.missing`;
      const error = await warehouse.loadObject(obj, users).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).not.toBeInstanceOf(LoadDataError);
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect((await warehouse.loadedKeys('acme')).size).toBe(0);
    });
  });

  describe('rejects injection attempts before any SQL', () => {
    const bad = ['x"; DROP TABLE raw.users; --', '../escape', 'Users', '1abc', "a'b", ''];

    it.each(bad)('stream or tenant name %j', async (name) => {
      const byStream = makeStream({ name });
      const byTenant = makeStream({ tenant: name });
      for (const stream of [byStream, byTenant]) {
        await expect(warehouse.createStream(stream)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(warehouse.preview(stream, 'raw', 1)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(warehouse.rejections(stream, 1)).rejects.toBeInstanceOf(InvalidInputError);
        const obj = {
          tenant: stream.tenant,
          stream: stream.name,
          kind: 'raw' as const,
          key: 'k',
          path: '/dev/null',
          bytes: 0,
          records: 0,
        };
        await expect(warehouse.loadObject(obj, stream)).rejects.toBeInstanceOf(InvalidInputError);
      }
      await expect(warehouse.loadedKeys(name)).rejects.toBeInstanceOf(InvalidInputError);
      expect(await readdir(dir)).toEqual([]);
    });

    it('field names and layer keys', async () => {
      const fields: Stream[] = [
        makeStream({ schema: { type: 'object', properties: { 'a"b': { type: 'string' } } } }),
        makeStream({ dedupe: { key: ["id') --"] } }),
        makeStream({ entity: { key: ['id'], orderBy: 'x"y' } }),
      ];
      for (const stream of fields) {
        await expect(warehouse.createStream(stream)).rejects.toBeInstanceOf(InvalidInputError);
      }
      await expect(warehouse.preview(makeStream(), 'raw; DROP' as 'raw', 1)).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      await expect(warehouse.preview(makeStream(), 'raw', -1)).rejects.toBeInstanceOf(InvalidInputError);
      const stream = makeStream();
      const obj = {
        tenant: 'acme',
        stream: 'events',
        kind: 'raw' as const,
        key: 'k',
        path: '/tmp/*.ndjson',
        bytes: 0,
        records: 0,
      };
      await expect(warehouse.loadObject(obj, stream)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(
        warehouse.loadObject({ ...obj, path: '/dev/null', stream: 'other' }, stream),
      ).rejects.toBeInstanceOf(InvalidInputError);
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
