import { InvalidInputError, SchemaIncompatibleError } from '../../domain/errors.js';
import { columnsOf } from '../../domain/schema/columns.js';
import type { Column, ColumnType } from '../../domain/schema/types.js';
import type { Stream } from '../../domain/streams/types.js';
import { checkIdentifier, literal, qualified, quote } from './identifiers.js';

/** One schema per layer, so every stream's tables share its name across layers. */
export const RAW = 'raw';
export const DEDUPED = 'deduped';
export const ENTITY = 'entity';
export const QUARANTINE = 'quarantine';
export const LOAD_HISTORY = qualified('_tributary', 'load_history');

export const SQL_TYPES: Record<ColumnType, string> = {
  string: 'VARCHAR',
  timestamp: 'TIMESTAMPTZ',
  date: 'DATE',
  integer: 'BIGINT',
  number: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'JSON',
};

/** Metadata columns of the raw table, after the declared ones and `_extra`. */
export const RAW_META_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['_id', 'VARCHAR'],
  ['_batch_id', 'VARCHAR'],
  ['_index', 'INTEGER'],
  ['_received_at', 'TIMESTAMPTZ'],
  ['_schema_version', 'INTEGER'],
];

/**
 * System columns a cdc stream's raw table adds after the metadata: the op, the source commit time, the
 * source position (a decimal that sorts in source order: api/domain/records/debezium.ts) and the
 * source block's where-from fields.
 */
export const CDC_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['_op', 'VARCHAR'],
  ['_source_ts', 'TIMESTAMPTZ'],
  ['_source_position', 'DECIMAL(38,0)'],
  ['_source', 'JSON'],
];

/** The raw table's system columns for this stream, in table order. */
export function rawMetaColumns(stream: Stream): ReadonlyArray<readonly [string, string]> {
  return stream.cdc ? [...RAW_META_COLUMNS, ...CDC_COLUMNS] : RAW_META_COLUMNS;
}

export const QUARANTINE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['record', 'JSON'],
  ['errors', 'JSON'],
  ['_batch_id', 'VARCHAR'],
  ['_index', 'INTEGER'],
  ['_received_at', 'TIMESTAMPTZ'],
  ['_schema_version', 'INTEGER'],
];

/** Created once per tenant database. */
export const HISTORY_STATEMENTS = [
  `CREATE SCHEMA IF NOT EXISTS ${quote('_tributary')}`,
  `CREATE TABLE IF NOT EXISTS ${LOAD_HISTORY} ("key" VARCHAR PRIMARY KEY, "stream" VARCHAR, "kind" VARCHAR, "rows" BIGINT, "bytes" BIGINT, "loaded_at" TIMESTAMPTZ)`,
  // Lines of the object the loader quarantined (salvaged objects), in total and per batch id (JSON).
  `ALTER TABLE ${LOAD_HISTORY} ADD COLUMN IF NOT EXISTS "failed" BIGINT`,
  `ALTER TABLE ${LOAD_HISTORY} ADD COLUMN IF NOT EXISTS "failed_batches" VARCHAR`,
];

/** Why a quarantined row is there: NULL (rows written by ingest) is `validation`; the loader writes `load_failed`. */
export const QUARANTINE_REASON: readonly [string, string] = ['reason', 'VARCHAR'];

/** The stream's declared columns, each name validated. */
export function declaredColumns(stream: Stream): Column[] {
  checkNames(stream);
  return columnsOf(stream.schema).map((c) => ({ ...c, name: checkIdentifier(c.name, 'field') }));
}

export function checkNames(stream: Stream): void {
  checkIdentifier(stream.tenant, 'tenant');
  checkIdentifier(stream.name, 'stream');
}

/**
 * Idempotent DDL that brings the tenant database up to `stream`: tables are created if missing and
 * given any declared column they lack. With `replace`, layer views are (re)created or dropped to match
 * the spec; with `ifMissing` (the loader's safety net, which may hold an older copy of the stream)
 * missing views are created and existing ones are left alone.
 */
export function createStatements(stream: Stream, views: ViewMode = 'replace'): string[] {
  const columns = declaredColumns(stream);
  const raw = qualified(RAW, stream.name);
  const rawColumns = [
    ...columns.map((c) => `${quote(c.name)} ${SQL_TYPES[c.type]}`),
    `${quote('_extra')} JSON`,
    ...rawMetaColumns(stream).map(([n, t]) => `${quote(n)} ${t}`),
  ];
  const quarantineColumns = QUARANTINE_COLUMNS.map(([n, t]) => `${quote(n)} ${t}`);
  return [
    ...[RAW, DEDUPED, ENTITY, QUARANTINE].map((s) => `CREATE SCHEMA IF NOT EXISTS ${quote(s)}`),
    `CREATE TABLE IF NOT EXISTS ${raw} (${rawColumns.join(', ')})`,
    ...columns.map(
      (c) => `ALTER TABLE ${raw} ADD COLUMN IF NOT EXISTS ${quote(c.name)} ${SQL_TYPES[c.type]}`,
    ),
    `CREATE TABLE IF NOT EXISTS ${qualified(QUARANTINE, stream.name)} (${quarantineColumns.join(', ')})`,
    `ALTER TABLE ${qualified(QUARANTINE, stream.name)} ADD COLUMN IF NOT EXISTS ${quote(QUARANTINE_REASON[0])} ${QUARANTINE_REASON[1]}`,
    ...viewStatements(stream, views),
  ];
}

export type ViewMode = 'replace' | 'ifMissing';

/**
 * Layer views over the raw table. Views (rather than materialized tables) are always exactly
 * consistent with raw, and DuckDB rebinds `*` when the raw table gains or widens a column.
 */
export function viewStatements(stream: Stream, mode: ViewMode = 'replace'): string[] {
  const columns = declaredColumns(stream);
  const raw = qualified(RAW, stream.name);
  const field = (name: string) => fieldExpr(columns, name);
  const statements: string[] = [];
  const create = mode === 'replace' ? 'CREATE OR REPLACE VIEW' : 'CREATE VIEW IF NOT EXISTS';
  const drop = (view: string) => {
    if (mode === 'replace') statements.push(`DROP VIEW IF EXISTS ${view}`);
  };

  const deduped = qualified(DEDUPED, stream.name);
  if (stream.dedupe && stream.dedupe.key.length > 0) {
    // A change stream keeps one copy per change: a redelivery repeats the key and the source position.
    const partition = [...stream.dedupe.key.map(field), ...(stream.cdc ? ['"_source_position"'] : [])];
    // The first received copy wins: batch ids are time-ordered, so (_batch_id, _index) is receive order.
    statements.push(
      `${create} ${deduped} AS SELECT * FROM ${raw} ` +
        `QUALIFY row_number() OVER (PARTITION BY ${partition.join(', ')} ORDER BY "_batch_id", "_index") = 1`,
    );
  } else {
    drop(deduped);
  }

  const entity = qualified(ENTITY, stream.name);
  if (stream.entity && stream.entity.key.length > 0) {
    const { key, orderBy, deleteField } = stream.entity;
    // Latest by orderBy (NULL counts as lowest), ties to the later-received row. A change stream's
    // latest is the last change in source order, whatever order the changes arrived in; at one position
    // a snapshot read loses, since a snapshot is the state before the changes streamed from its position.
    const order = [
      ...(stream.cdc
        ? [
            '"_source_position" DESC NULLS LAST',
            `CASE WHEN "_op" = 'r' THEN 0 ELSE 1 END DESC`,
            '"_source_ts" DESC NULLS LAST',
          ]
        : []),
      ...(orderBy ? [`${field(orderBy)} DESC NULLS LAST`] : []),
      '"_batch_id" DESC',
      '"_index" DESC',
    ];
    const latest = `SELECT * FROM ${raw} QUALIFY row_number() OVER (PARTITION BY ${key.map(field).join(', ')} ORDER BY ${order.join(', ')}) = 1`;
    // The delete must win first and then hide its entity, so the filter sits outside the QUALIFY.
    const deleted = stream.cdc ? `"_op" = 'd'` : deleteField ? deletedExpr(columns, deleteField) : undefined;
    statements.push(
      deleted
        ? `${create} ${entity} AS SELECT * FROM (${latest}) WHERE NOT (${deleted})`
        : `${create} ${entity} AS ${latest}`,
    );
  } else {
    drop(entity);
  }
  return statements;
}

/** A field as a SQL expression: its column when declared, else its value kept in `_extra`. */
function fieldExpr(columns: Column[], name: string): string {
  checkIdentifier(name, 'field');
  if (columns.some((c) => c.name === name)) return quote(name);
  return `(${quote('_extra')} ->> ${literal(`$."${name}"`)})`;
}

function deletedExpr(columns: Column[], name: string): string {
  const column = columns.find((c) => c.name === name);
  if (column?.type === 'boolean') return `${quote(name)} IS TRUE`;
  return `TRY_CAST(${fieldExpr(columns, name)} AS BOOLEAN) IS TRUE`;
}

/**
 * DDL that evolves `from` into `to`: new properties become new columns, integer→number widens to
 * DOUBLE, and layer views are recreated when their definition changes. Removed properties keep their
 * column (old rows keep their values). Any other type change is not something DDL can do safely.
 */
export function planEvolution(from: Stream, to: Stream): string[] {
  if (from.tenant !== to.tenant || from.name !== to.name) {
    throw new InvalidInputError('Cannot evolve one stream into another', [
      { path: 'name', message: 'must match' },
    ]);
  }
  const before = new Map(declaredColumns(from).map((c) => [c.name, c]));
  const raw = qualified(RAW, to.name);
  const statements: string[] = [];
  const incompatible: Array<{ path: string; message: string }> = [];
  for (const column of declaredColumns(to)) {
    const old = before.get(column.name);
    if (!old) {
      statements.push(
        `ALTER TABLE ${raw} ADD COLUMN IF NOT EXISTS ${quote(column.name)} ${SQL_TYPES[column.type]}`,
      );
    } else if (old.type !== column.type) {
      if (old.type === 'integer' && column.type === 'number') {
        statements.push(`ALTER TABLE ${raw} ALTER COLUMN ${quote(column.name)} SET DATA TYPE DOUBLE`);
      } else {
        incompatible.push({
          path: `/properties/${column.name}`,
          message: `cannot change column type from ${old.type} to ${column.type}`,
        });
      }
    }
  }
  if (incompatible.length > 0)
    throw new SchemaIncompatibleError('Column types cannot change this way', incompatible);
  const oldViews = viewStatements(from);
  const newViews = viewStatements(to);
  if (newViews.some((s, i) => s !== oldViews[i])) statements.push(...newViews);
  return statements;
}
