import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { InvalidInputError, LoadDataError } from '../../domain/errors.js';
import type { Stream } from '../../domain/streams/types.js';
import type { LakeObject, LoadedObject } from '../../ports.js';
import { checkNames, createStatements } from './ddl.js';
import { quarantineLoadSql, rawLoadSql } from './load-sql.js';
import { historyHas, recordHistory } from './load-history.js';
import { inTransaction, runAll, type TenantDatabase } from './tenant-database.js';
import type { TenantDatabases } from './tenant-databases.js';

/**
 * Loads lake objects of one stream in one transaction, one statement per kind, skipping any the load
 * history already holds.
 */
export async function loadObjects(
  databases: TenantDatabases,
  logger: Logger,
  objs: LakeObject[],
  stream: Stream,
): Promise<LoadedObject[]> {
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

  const results = await databases.run(stream.tenant, what, async (c, db) => {
    await ensureTables(db, c, stream);
    return inTransaction(c, () => loadOnce(c, objs, statement));
  });
  logger.debug(
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

/** What a load checks before it runs the (cheap but not free) create-if-missing DDL again. */
export function ensureKey(stream: Stream): string {
  return createStatements(stream, 'ifMissing').join(';\n');
}

export function checkObjects(objs: LakeObject[], stream: Stream): void {
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
export async function ensureTables(db: TenantDatabase, c: DuckDBConnection, stream: Stream): Promise<void> {
  const fingerprint = ensureKey(stream);
  if (db.ensured.has(fingerprint)) return;
  await inTransaction(c, () => runAll(c, createStatements(stream, 'ifMissing')));
  db.ensured.add(fingerprint);
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

function keysOf(objs: LakeObject[]): string {
  return objs.map((o) => o.key).join(', ');
}
