import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { DependencyUnavailableError, DomainError, InvalidInputError } from '../../domain/errors.js';
import type { Rejection } from '../../domain/records/types.js';
import type { Layer, Stream } from '../../domain/streams/types.js';
import type { LakeObject, LoadedObject, LoadTarget, PreviewResult, Warehouse } from '../../ports.js';
import { checkNames, createStatements, LOAD_HISTORY, planEvolution, QUARANTINE } from './ddl.js';
import { checkIdentifier, METADATA_NAMES, qualified } from './identifiers.js';
import { quarantineLoadSql, rawLoadSql } from './load-sql.js';
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

  constructor(private readonly opts: DuckDbWarehouseOptions) {
    this.logger = opts.logger.child({ component: 'duckdb' });
  }

  async createStream(stream: Stream): Promise<void> {
    const statements = createStatements(stream);
    const db = await this.database(stream.tenant);
    await translate(`create tables for ${stream.name}`, () => db.transaction((c) => runAll(c, statements)));
    db.ensured.add(ensureKey(stream));
  }

  planEvolution(from: Stream, to: Stream): string[] {
    return planEvolution(from, to);
  }

  async evolveStream(from: Stream, to: Stream): Promise<void> {
    // Creating `from` first (all IF NOT EXISTS) lets an evolution run even where the tables were never made.
    const statements = [...createStatements(from), ...planEvolution(from, to)];
    const db = await this.database(to.tenant);
    await translate(`evolve ${to.name} to version ${to.version}`, () =>
      db.transaction((c) => runAll(c, statements)),
    );
    this.logger.info({ tenant: to.tenant, stream: to.name, version: to.version }, 'evolved stream tables');
  }

  /** One object; see loadObjects. */
  async loadObject(obj: LakeObject, stream: Stream): Promise<{ rows: number; alreadyLoaded: boolean }> {
    const [{ rows, alreadyLoaded }] = await this.loadObjects([obj], stream);
    return { rows, alreadyLoaded };
  }

  async loadObjects(objs: LakeObject[], stream: Stream): Promise<LoadedObject[]> {
    checkNames(stream);
    if (objs.length === 0) return [];
    for (const obj of objs) {
      if (obj.tenant !== stream.tenant || obj.stream !== stream.name) {
        throw new InvalidInputError(
          `Object ${obj.key} does not belong to stream ${stream.tenant}/${stream.name}`,
        );
      }
      if (obj.kind !== 'raw' && obj.kind !== 'quarantine')
        throw new InvalidInputError(`Unknown object kind ${String(obj.kind)}`);
    }
    const statement = (kind: LakeObject['kind'], group: LakeObject[]): string => {
      const paths = group.map((o) => o.path);
      return kind === 'raw' ? rawLoadSql(stream, paths) : quarantineLoadSql(stream, paths);
    };
    // Built once over every object before anything runs, so a bad path is refused up front.
    for (const kind of ['raw', 'quarantine'] as const) {
      const group = objs.filter((o) => o.kind === kind);
      if (group.length > 0) statement(kind, group);
    }
    const ddl = createStatements(stream, 'ifMissing');
    const fingerprint = ensureKey(stream);
    const db = await this.database(stream.tenant);
    const started = performance.now();
    const what = objs.length === 1 ? `load ${objs[0].key}` : `load ${objs.length} objects (${keysOf(objs)})`;

    const results = await translate(what, () =>
      db.exclusive(async (c) => {
        if (!db.ensured.has(fingerprint)) {
          await inTransaction(c, () => runAll(c, ddl));
          db.ensured.add(fingerprint);
        }
        return inTransaction(c, () => loadOnce(c, objs, statement));
      }),
    );
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

  async loadedKeys(tenant: string): Promise<Set<string>> {
    const db = await this.existing(tenant);
    if (!db) return new Set();
    const reader = await translate('read load history', () =>
      db.exclusive((c) => c.runAndReadAll(`SELECT "key" FROM ${LOAD_HISTORY}`)),
    );
    return new Set(reader.getRows().map((row) => String(row[0])));
  }

  async loadedAt(tenant: string, keys: string[]): Promise<Map<string, string>> {
    const db = keys.length > 0 ? await this.existing(tenant) : undefined;
    if (!db) return new Map();
    const reader = await translate('read load history', () =>
      db.exclusive((c) =>
        c.runAndReadAll(
          `SELECT "key", "loaded_at" FROM ${LOAD_HISTORY} WHERE "key" IN (SELECT unnest($keys::VARCHAR[]))`,
          {
            keys: listValue(keys),
          },
        ),
      ),
    );
    return new Map(rowsAsJson(reader).map((row) => [String(row.key), String(row.loaded_at)]));
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
        receivedAt: String(row._received_at),
        batchId: String(row._batch_id),
        index: Number(row._index),
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
    const db = await this.existing(stream.tenant);
    if (!db) return undefined;
    const relation = qualified(schema, stream.name);
    return translate(`read ${schema}.${stream.name}`, () =>
      db.exclusive(async (c) => {
        if (!(await relationExists(c, schema, stream.name))) return undefined;
        const count = await c.runAndReadAll(`SELECT count(*) FROM ${relation}`);
        const rows = await c.runAndReadAll(
          `SELECT * FROM ${relation} ORDER BY "_batch_id" DESC, "_index" DESC LIMIT ${limit}`,
        );
        return { total: Number(count.getRows()[0][0]), rows: rowsAsJson(rows) };
      }),
    );
  }

  private fileOf(tenant: string): string {
    return path.join(this.opts.dir, `${checkIdentifier(tenant, 'tenant')}.duckdb`);
  }

  /** The tenant's database, opened on first use; reads use `existing` so they never create a file. */
  private database(tenant: string): Promise<TenantDatabase> {
    const file = this.fileOf(tenant);
    if (this.closed) return Promise.reject(new DependencyUnavailableError('The DuckDB warehouse is closed'));
    let db = this.databases.get(tenant);
    if (!db) {
      db = translate(`open ${file}`, async () => {
        await mkdir(this.opts.dir, { recursive: true });
        const opened = await TenantDatabase.open(file, {
          memoryLimit: this.opts.memoryLimit,
          threads: this.opts.threads,
          onRecycle: (reason) =>
            this.logger.info({ tenant, file, reason }, 'reopened tenant database to release memory'),
        });
        this.logger.info({ tenant, file }, 'opened tenant database');
        return opened;
      });
      this.databases.set(tenant, db);
      // A failed open is not cached: the next call tries again.
      db.catch(() => this.databases.delete(tenant));
    }
    return db;
  }

  private async existing(tenant: string): Promise<TenantDatabase | undefined> {
    const file = this.fileOf(tenant);
    if (!this.databases.has(tenant) && !existsSync(file)) return undefined;
    return this.database(tenant);
  }
}

/** What a load checks before it runs the (cheap but not free) create-if-missing DDL again. */
function ensureKey(stream: Stream): string {
  return createStatements(stream, 'ifMissing').join(';\n');
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
  const seen = await c.runAndReadAll(
    `SELECT "key" FROM ${LOAD_HISTORY} WHERE "key" IN (SELECT unnest($keys::VARCHAR[]))`,
    { keys: listValue(objs.map((o) => o.key)) },
  );
  const skipped = new Set(seen.getRows().map((row) => String(row[0])));
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
    // A short read means a truncated or corrupt object; recording it as loaded would lose the rest.
    if (rows !== written) {
      throw new DependencyUnavailableError(
        `Lake ${group.length === 1 ? 'object' : 'objects'} ${keysOf(group)} hold ${rows} rows where ${written} were written`,
      );
    }
  }
  if (fresh.length > 0) {
    await c.run(
      `INSERT INTO ${LOAD_HISTORY} ("key", "stream", "kind", "rows", "bytes", "loaded_at")
       SELECT unnest($keys::VARCHAR[]), $stream, unnest($kinds::VARCHAR[]), unnest($rows::BIGINT[]), unnest($bytes::BIGINT[]), now()`,
      {
        keys: listValue(fresh.map((o) => o.key)),
        stream: fresh[0].stream,
        kinds: listValue(fresh.map((o) => o.kind)),
        rows: listValue(fresh.map((o) => BigInt(o.records))),
        bytes: listValue(fresh.map((o) => BigInt(o.bytes))),
      },
    );
  }
  return results;
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

/** Runs a DuckDB step; anything but a domain error becomes DependencyUnavailableError, keeping the cause. */
async function translate<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new DependencyUnavailableError(`DuckDB could not ${what}: ${message}`, 1, { cause: err });
  }
}
