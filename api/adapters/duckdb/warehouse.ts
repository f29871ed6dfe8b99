import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { DependencyUnavailableError, InvalidInputError, LoadDataError } from '../../domain/errors.js';
import type { Rejection } from '../../domain/records/types.js';
import type { Layer, Stream } from '../../domain/streams/types.js';
import type { LakeObject, LoadedObject, LoadTarget, PreviewResult, Warehouse } from '../../ports.js';
import { checkNames, createStatements, LOAD_HISTORY, planEvolution, QUARANTINE } from './ddl.js';
import { classifyFailure, invalidatesDatabase, translateFailure } from './errors.js';
import { checkIdentifier, METADATA_NAMES, qualified } from './identifiers.js';
import { quarantineLoadSql, rawLoadSql } from './load-sql.js';
import { findBadLines, lineOrigin, splitLines, wellFormedText, type BadLine } from './salvage.js';
import { inTransaction, runAll, TenantDatabase } from './tenant-database.js';
import { rowsAsJson } from './values.js';

export interface DuckDbWarehouseOptions {
  /** Holds one `<tenant>.duckdb` file per tenant. */
  dir: string;
  logger: Logger;
  /** Per tenant database, e.g. '256MB'; DuckDB's default is 80% of the host's memory. */
  memoryLimit?: string;
  /** Threads per tenant database; DuckDB's default is every core. */
  threads?: number;
}

/** Told when a tenant database file is created, so whatever the lake holds for the tenant can be loaded again. */
export type DatabaseCreatedListener = (tenant: string) => void;

const LAYERS: readonly Layer[] = ['raw', 'deduped', 'entity'];
const HIDDEN_IN_PREVIEW = new Set<string>(METADATA_NAMES);

/**
 * The local warehouse: raw, deduped and entity layers per stream in a DuckDB file per tenant, loaded
 * Snowpipe-style from lake objects with exactly-once bookkeeping in `_tributary.load_history`.
 */
export class DuckDbWarehouse implements Warehouse, LoadTarget {
  private readonly databases = new Map<string, Promise<TenantDatabase>>();
  private readonly logger: Logger;
  private closed = false;
  private readonly createdListeners: DatabaseCreatedListener[] = [];

  constructor(private readonly opts: DuckDbWarehouseOptions) {
    this.logger = opts.logger.child({ component: 'duckdb' });
  }

  /**
   * Called whenever a tenant's database file is created, including again after it was removed (or a
   * corrupt one was): its load history starts empty, so the lake's objects can be loaded anew.
   */
  onDatabaseCreated(listener: DatabaseCreatedListener): void {
    this.createdListeners.push(listener);
  }

  async createStream(stream: Stream): Promise<void> {
    const statements = createStatements(stream);
    await this.run(stream.tenant, `create tables for ${stream.name}`, async (c, db) => {
      await inTransaction(c, () => runAll(c, statements));
      db.ensured.add(ensureKey(stream));
    });
  }

  planEvolution(from: Stream, to: Stream): string[] {
    return planEvolution(from, to);
  }

  async evolveStream(from: Stream, to: Stream): Promise<void> {
    // Creating `from` first (all IF NOT EXISTS) lets an evolution run even where the tables were never made.
    const statements = [...createStatements(from), ...planEvolution(from, to)];
    await this.run(to.tenant, `evolve ${to.name} to version ${to.version}`, (c) =>
      inTransaction(c, () => runAll(c, statements)),
    );
    this.logger.info({ tenant: to.tenant, stream: to.name, version: to.version }, 'evolved stream tables');
  }

  /** One object; see loadObjects. */
  async loadObject(obj: LakeObject, stream: Stream): Promise<{ rows: number; alreadyLoaded: boolean }> {
    const [{ rows, alreadyLoaded }] = await this.loadObjects([obj], stream);
    return { rows, alreadyLoaded };
  }

  async loadObjects(objs: LakeObject[], stream: Stream): Promise<LoadedObject[]> {
    checkObjects(objs, stream);
    if (objs.length === 0) return [];
    const statement = (kind: LakeObject['kind'], group: LakeObject[]): string => {
      const paths = group.map((o) => o.path);
      return kind === 'raw' ? rawLoadSql(stream, paths) : quarantineLoadSql(stream, paths);
    };
    // Built once over every object before anything runs, so a bad path is refused up front.
    for (const kind of ['raw', 'quarantine'] as const) {
      const group = objs.filter((o) => o.kind === kind);
      if (group.length > 0) statement(kind, group);
    }
    const started = performance.now();
    const what = objs.length === 1 ? `load ${objs[0].key}` : `load ${objs.length} objects (${keysOf(objs)})`;

    const results = await this.run(stream.tenant, what, async (c, db) => {
      await ensureTables(db, c, stream);
      return inTransaction(c, () => loadOnce(c, objs, statement));
    });
    this.logger.debug(
      {
        tenant: stream.tenant,
        stream: stream.name,
        objects: objs.length,
        loaded: results.filter((r) => !r.alreadyLoaded).length,
        rows: results.reduce((n, r) => n + r.rows, 0),
        ms: Math.round(performance.now() - started),
      },
      'loaded objects',
    );
    return results;
  }

  /**
   * Loads what can be loaded of an object the warehouse refused as a whole. The bad lines are found
   * by bisection: each probe loads a run of lines from a temporary file inside a transaction that is
   * always rolled back (DuckDB has no savepoints, and a failed statement aborts its transaction).
   * Then one transaction loads every good line, puts each bad one in the stream's quarantine with
   * reason `load_failed` and the engine's message, and records the object in the load history, so a
   * crash at any point loads no line twice. A dependency error during any of it is thrown as such
   * and nothing is quarantined.
   */
  async salvageObject(obj: LakeObject, stream: Stream): Promise<LoadedObject> {
    checkObjects([obj], stream);
    const sql = (file: string) =>
      obj.kind === 'raw' ? rawLoadSql(stream, [file]) : quarantineLoadSql(stream, [file]);
    sql(obj.path);
    const lines = splitLines(await readObject(obj));
    const scratch = path.join(this.opts.dir, '.salvage');
    const tmp = path.join(scratch, `${checkIdentifier(stream.tenant, 'tenant')}-${randomUUID()}.ndjson`);
    const write = async (indices: number[]) => {
      const parts: Buffer[] = [];
      for (const i of indices) parts.push(lines[i], NEWLINE);
      await writeFile(tmp, Buffer.concat(parts));
    };
    const range = (first: number, end: number) => Array.from({ length: end - first }, (_, i) => first + i);
    const started = performance.now();
    try {
      await mkdir(scratch, { recursive: true });
      const result = await this.run(
        stream.tenant,
        `salvage ${obj.key}`,
        async (c, db): Promise<LoadedObject> => {
          await ensureTables(db, c, stream);
          if ((await historyHas(c, [obj.key])).size > 0)
            return { key: obj.key, rows: 0, alreadyLoaded: true };
          const probe = async (first: number, end: number): Promise<string | undefined> => {
            await write(range(first, end));
            await c.run('BEGIN TRANSACTION');
            try {
              const rows = Number((await c.run(sql(tmp))).rowsChanged);
              return rows === end - first ? undefined : `${end - first} line(s) hold ${rows} record(s)`;
            } catch (err) {
              if (classifyFailure(err) !== 'data') throw err;
              return engineMessage(err, tmp, obj.key);
            } finally {
              await c.run('ROLLBACK').catch(() => undefined);
            }
          };
          const whole = await probe(0, lines.length);
          const bad = whole === undefined ? [] : await findBadLines(lines.length, whole, probe);
          const badIndices = new Set(bad.map((b) => b.index));
          const good = range(0, lines.length).filter((i) => !badIndices.has(i));
          return inTransaction(c, async () => {
            let rows = 0;
            if (good.length > 0) {
              await write(good);
              rows = Number((await c.run(sql(tmp))).rowsChanged);
              if (rows !== good.length)
                throw new LoadDataError(
                  `Lake object ${obj.key}: ${good.length} good lines loaded ${rows} rows`,
                );
            }
            const failedBatches = await quarantineLines(c, stream, bad, (i) => lines[i]);
            const missing = Math.max(0, obj.records - lines.length);
            if (missing > 0) {
              this.logger.error(
                { object: obj.key, written: obj.records, found: lines.length },
                'lake object holds fewer lines than were written; the missing records cannot be loaded',
              );
            }
            const failed = bad.length + missing;
            await recordHistory(c, [{ obj, rows, failed, failedBatches }]);
            return { key: obj.key, rows, alreadyLoaded: false, failed, failedBatches };
          });
        },
      );
      this.logger.warn(
        {
          tenant: stream.tenant,
          stream: stream.name,
          object: obj.key,
          rows: result.rows,
          failed: result.failed ?? 0,
          ms: Math.round(performance.now() - started),
        },
        'salvaged a lake object the warehouse refused: good lines loaded, bad lines quarantined',
      );
      return result;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async loadedKeys(tenant: string): Promise<Set<string>> {
    if (!this.exists(tenant)) return new Set();
    const reader = await this.run(tenant, 'read load history', (c) =>
      c.runAndReadAll(`SELECT "key" FROM ${LOAD_HISTORY}`),
    );
    return new Set(reader.getRows().map((row) => String(row[0])));
  }

  async loadedAt(tenant: string, keys: string[]): Promise<Map<string, string>> {
    const rows = await this.history(tenant, keys);
    return new Map(rows.map((row) => [String(row.key), String(row.loaded_at)]));
  }

  async loadFailures(tenant: string, keys: string[]): Promise<Map<string, Record<string, number>>> {
    const out = new Map<string, Record<string, number>>();
    for (const row of await this.history(tenant, keys)) {
      if (typeof row.failed_batches !== 'string') continue;
      try {
        out.set(String(row.key), JSON.parse(row.failed_batches) as Record<string, number>);
      } catch {
        // Written by this adapter as JSON; anything else is treated as no per-batch detail.
      }
    }
    return out;
  }

  private async history(tenant: string, keys: string[]): Promise<Record<string, unknown>[]> {
    if (keys.length === 0 || !this.exists(tenant)) return [];
    const reader = await this.run(tenant, 'read load history', (c) =>
      c.runAndReadAll(
        `SELECT "key", "loaded_at", "failed_batches" FROM ${LOAD_HISTORY} WHERE "key" IN (SELECT unnest($keys::VARCHAR[]))`,
        { keys: listValue(keys) },
      ),
    );
    return rowsAsJson(reader);
  }

  async preview(stream: Stream, layer: Layer, limit: number): Promise<PreviewResult> {
    checkNames(stream);
    if (!LAYERS.includes(layer)) throw new InvalidInputError(`Unknown layer ${String(layer)}`);
    const rows = await this.newest(stream, layer, limit);
    if (!rows) return { total: 0, records: [] };
    return { total: rows.total, records: rows.rows.map(previewRecord) };
  }

  async rejections(stream: Stream, limit: number): Promise<{ total: number; rejections: Rejection[] }> {
    checkNames(stream);
    const rows = await this.newest(stream, QUARANTINE, limit);
    if (!rows) return { total: 0, rejections: [] };
    return {
      total: rows.total,
      rejections: rows.rows.map((row) => ({
        record: row.record,
        errors: Array.isArray(row.errors) ? (row.errors as Rejection['errors']) : [],
        reason: row.reason === 'load_failed' ? ('load_failed' as const) : ('validation' as const),
        // A line quarantined by the loader may have lost its metadata with the rest of it.
        receivedAt: row._received_at == null ? '' : String(row._received_at),
        batchId: row._batch_id == null ? '' : String(row._batch_id),
        index: row._index == null ? -1 : Number(row._index),
      })),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const opened = [...this.databases.values()];
    this.databases.clear();
    for (const pending of opened) {
      const db = await pending.catch(() => undefined);
      await db?.close();
    }
  }

  /** The layer's full row count and its newest `limit` rows, or undefined when there is no such table yet. */
  private async newest(
    stream: Stream,
    schema: string,
    limit: number,
  ): Promise<{ total: number; rows: Record<string, unknown>[] } | undefined> {
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new InvalidInputError('limit must be a non-negative integer');
    if (!this.exists(stream.tenant)) return undefined;
    const relation = qualified(schema, stream.name);
    return this.run(stream.tenant, `read ${schema}.${stream.name}`, async (c) => {
      if (!(await relationExists(c, schema, stream.name))) return undefined;
      const count = await c.runAndReadAll(`SELECT count(*) FROM ${relation}`);
      const rows = await c.runAndReadAll(
        `SELECT * FROM ${relation} ORDER BY "_batch_id" DESC, "_index" DESC LIMIT ${limit}`,
      );
      return { total: Number(count.getRows()[0][0]), rows: rowsAsJson(rows) };
    });
  }

  /**
   * Runs `fn` on the tenant's connection, alone. Every failure comes out as a named domain error
   * (LoadDataError, ResourceExhaustedError, DependencyUnavailableError) keeping its cause. A database
   * that a fatal error invalidated, or whose file was removed or replaced under it, is let go, so the
   * next call opens the file afresh instead of failing forever on a dead instance.
   */
  private async run<T>(
    tenant: string,
    what: string,
    fn: (c: DuckDBConnection, db: TenantDatabase) => Promise<T>,
  ): Promise<T> {
    const db = await this.database(tenant);
    try {
      return await db.exclusive(async (c) => {
        const changed = db.fileChanged();
        if (changed)
          throw new DependencyUnavailableError(`The tenant database ${changed}; it will be reopened`);
        return fn(c, db);
      });
    } catch (err) {
      if (invalidatesDatabase(err) || db.fileChanged()) this.forget(tenant, db);
      throw translateFailure(what, err);
    }
  }

  private forget(tenant: string, db: TenantDatabase): void {
    const cached = this.databases.get(tenant);
    if (!cached) return;
    void cached.then(
      (current) => {
        if (current !== db) return;
        if (this.databases.get(tenant) === cached) this.databases.delete(tenant);
        this.logger.error(
          { tenant, file: db.file },
          'letting go of a tenant database that cannot be used; it will be reopened',
        );
        return db
          .close()
          .catch((err: unknown) =>
            this.logger.warn({ err, tenant }, 'closing a dead tenant database failed'),
          );
      },
      () => undefined,
    );
  }

  private fileOf(tenant: string): string {
    return path.join(this.opts.dir, `${checkIdentifier(tenant, 'tenant')}.duckdb`);
  }

  /** The tenant's database, opened on first use; reads check `exists` first so they never create a file. */
  private database(tenant: string): Promise<TenantDatabase> {
    const file = this.fileOf(tenant);
    if (this.closed) return Promise.reject(new DependencyUnavailableError('The DuckDB warehouse is closed'));
    let db = this.databases.get(tenant);
    if (!db) {
      db = translate(`open ${file}`, async () => {
        await mkdir(this.opts.dir, { recursive: true });
        const created = !existsSync(file);
        const opened = await TenantDatabase.open(file, {
          memoryLimit: this.opts.memoryLimit,
          threads: this.opts.threads,
          onRecycle: (reason) =>
            this.logger.info({ tenant, file, reason }, 'reopened tenant database to release memory'),
        });
        this.logger.info({ tenant, file, created }, 'opened tenant database');
        if (created) for (const listener of this.createdListeners) listener(tenant);
        return opened;
      });
      this.databases.set(tenant, db);
      // A failed open is not cached: the next call tries again.
      db.catch((err: unknown) => {
        this.databases.delete(tenant);
        this.logger.error({ err, tenant, file }, 'could not open the tenant database');
      });
    }
    return db;
  }

  private exists(tenant: string): boolean {
    return this.databases.has(tenant) || existsSync(this.fileOf(tenant));
  }
}

/** What a load checks before it runs the (cheap but not free) create-if-missing DDL again. */
function ensureKey(stream: Stream): string {
  return createStatements(stream, 'ifMissing').join(';\n');
}

function checkObjects(objs: LakeObject[], stream: Stream): void {
  checkNames(stream);
  for (const obj of objs) {
    if (obj.tenant !== stream.tenant || obj.stream !== stream.name) {
      throw new InvalidInputError(
        `Object ${obj.key} does not belong to stream ${stream.tenant}/${stream.name}`,
      );
    }
    if (obj.kind !== 'raw' && obj.kind !== 'quarantine')
      throw new InvalidInputError(`Unknown object kind ${String(obj.kind)}`);
  }
}

/** Runs the loader's create-if-missing DDL once per process and stream definition. */
async function ensureTables(db: TenantDatabase, c: DuckDBConnection, stream: Stream): Promise<void> {
  const fingerprint = ensureKey(stream);
  if (db.ensured.has(fingerprint)) return;
  await inTransaction(c, () => runAll(c, createStatements(stream, 'ifMissing')));
  db.ensured.add(fingerprint);
}

async function historyHas(c: DuckDBConnection, keys: string[]): Promise<Set<string>> {
  const seen = await c.runAndReadAll(
    `SELECT "key" FROM ${LOAD_HISTORY} WHERE "key" IN (SELECT unnest($keys::VARCHAR[]))`,
    { keys: listValue(keys) },
  );
  return new Set(seen.getRows().map((row) => String(row[0])));
}

interface HistoryEntry {
  obj: LakeObject;
  rows: number;
  failed?: number;
  failedBatches?: Record<string, number>;
}

async function recordHistory(c: DuckDBConnection, entries: HistoryEntry[]): Promise<void> {
  await c.run(
    `INSERT INTO ${LOAD_HISTORY} ("key", "stream", "kind", "rows", "bytes", "loaded_at", "failed", "failed_batches")
     SELECT unnest($keys::VARCHAR[]), $stream, unnest($kinds::VARCHAR[]), unnest($rows::BIGINT[]), unnest($bytes::BIGINT[]), now(), unnest($failed::BIGINT[]), unnest($batches::VARCHAR[])`,
    {
      keys: listValue(entries.map((e) => e.obj.key)),
      stream: entries[0].obj.stream,
      kinds: listValue(entries.map((e) => e.obj.kind)),
      rows: listValue(entries.map((e) => BigInt(e.rows))),
      bytes: listValue(entries.map((e) => BigInt(e.obj.bytes))),
      failed: listValue(entries.map((e) => BigInt(e.failed ?? 0))),
      batches: listValue(entries.map((e) => (e.failedBatches ? JSON.stringify(e.failedBatches) : ''))),
    },
  );
}

/**
 * Inside one transaction: skips keys the history already holds, loads the rest with one statement
 * per kind, checks each statement's row count and records the loaded keys.
 */
async function loadOnce(
  c: DuckDBConnection,
  objs: LakeObject[],
  statement: (kind: LakeObject['kind'], group: LakeObject[]) => string,
): Promise<LoadedObject[]> {
  const skipped = await historyHas(
    c,
    objs.map((o) => o.key),
  );
  const fresh: LakeObject[] = [];
  const results = objs.map((obj): LoadedObject => {
    // A key given twice loads once, like a duplicate notification.
    if (skipped.has(obj.key)) return { key: obj.key, rows: 0, alreadyLoaded: true };
    skipped.add(obj.key);
    fresh.push(obj);
    return { key: obj.key, rows: obj.records, alreadyLoaded: false };
  });
  for (const kind of ['raw', 'quarantine'] as const) {
    const group = fresh.filter((o) => o.kind === kind);
    if (group.length === 0) continue;
    const inserted = await c.run(statement(kind, group));
    const rows = Number(inserted.rowsChanged);
    const written = group.reduce((n, o) => n + o.records, 0);
    // A short read means a truncated line or object; recording it as loaded would lose the rest.
    if (rows !== written) {
      throw new LoadDataError(
        `Lake ${group.length === 1 ? 'object' : 'objects'} ${keysOf(group)} hold ${rows} rows where ${written} were written`,
      );
    }
  }
  if (fresh.length > 0)
    await recordHistory(
      c,
      fresh.map((obj) => ({ obj, rows: obj.records })),
    );
  return results;
}

/**
 * Quarantines lines the warehouse refused, with reason `load_failed`. The record is the line's text
 * as a JSON string, every byte that is not well-formed UTF-8 written out as `\xNN`, so the row
 * always stores whatever the line held. Answers how many lines of each batch were quarantined.
 */
async function quarantineLines(
  c: DuckDBConnection,
  stream: Stream,
  bad: BadLine[],
  line: (index: number) => Buffer,
): Promise<Record<string, number>> {
  const perBatch: Record<string, number> = {};
  const table = qualified(QUARANTINE, stream.name);
  for (const { index, message } of bad) {
    const text = wellFormedText(line(index));
    const origin = lineOrigin(text);
    if (origin.batchId !== null) perBatch[origin.batchId] = (perBatch[origin.batchId] ?? 0) + 1;
    await c.run(
      `INSERT INTO ${table} ("record", "errors", "reason", "_batch_id", "_index", "_received_at", "_schema_version")
       VALUES ($record::JSON, $errors::JSON, 'load_failed', $batch::VARCHAR, $index::INTEGER, TRY_CAST($at::VARCHAR AS TIMESTAMPTZ), $version::INTEGER)`,
      {
        record: JSON.stringify(text),
        errors: JSON.stringify([{ path: '', message: `load failed: ${message}` }]),
        batch: origin.batchId,
        index: origin.index,
        at: origin.receivedAt,
        version: origin.schemaVersion,
      },
    );
  }
  return perBatch;
}

/** The engine's message about a probe, naming the lake object instead of the temporary file. */
function engineMessage(err: unknown, tmp: string, key: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .split(tmp)
    .join(key)
    .replace(/\n?Try setting 'auto_detect'[\s\S]*$/, '')
    .replace(/\n? ?If this error occurred during read_json[^\n]*/, '')
    .replace(/,? (at byte \d+ )?in line \d+/g, '')
    .trim();
}

const NEWLINE = Buffer.from('\n');
const gunzipAsync = promisify(gunzip);

/** The object's bytes, decompressed; a file that cannot be read is a dependency error (it is retried). */
async function readObject(obj: LakeObject): Promise<Buffer> {
  try {
    const raw = await readFile(obj.path);
    return obj.path.endsWith('.gz') ? await gunzipAsync(raw) : raw;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new DependencyUnavailableError(`Could not read lake object ${obj.key}: ${message}`, 1, {
      cause: err,
    });
  }
}

function keysOf(objs: LakeObject[]): string {
  return objs.map((o) => o.key).join(', ');
}

async function relationExists(c: DuckDBConnection, schema: string, name: string): Promise<boolean> {
  const reader = await c.runAndReadAll(
    `SELECT 1 FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = $schema AND table_name = $name`,
    { schema, name },
  );
  return reader.currentRowCount > 0;
}

/** Declared columns first, then undeclared fields from `_extra`, then the metadata a preview shows. */
function previewRecord(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    if (!HIDDEN_IN_PREVIEW.has(name)) out[name] = value;
  }
  const extra = row._extra;
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
    for (const [name, value] of Object.entries(extra)) {
      if (!(name in out)) out[name] = value;
    }
  }
  out._id = row._id;
  out._batch_id = row._batch_id;
  out._received_at = row._received_at;
  out._schema_version = row._schema_version;
  return out;
}

/** Runs a DuckDB step; its failure becomes a named domain error (see translateFailure), keeping the cause. */
async function translate<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translateFailure(what, err);
  }
}
