import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInputError } from '../../domain/errors.js';
import type { Rejection } from '../../domain/records/types.js';
import type { Layer, Stream } from '../../domain/streams/types.js';
import type { PreviewResult } from '../../ports.js';
import { checkNames, QUARANTINE } from './ddl.js';
import { METADATA_NAMES, qualified } from './identifiers.js';
import type { TenantDatabases } from './tenant-databases.js';
import { rowsAsJson } from './values.js';

const LAYERS: readonly Layer[] = ['raw', 'deduped', 'entity'];
const HIDDEN_IN_PREVIEW = new Set<string>(METADATA_NAMES);
/** A change stream's system columns, shown after the metadata when the layer has them. */
const CHANGE_COLUMNS = ['_op', '_source_ts', '_source_position', '_source'] as const;

export async function preview(
  databases: TenantDatabases,
  stream: Stream,
  layer: Layer,
  limit: number,
): Promise<PreviewResult> {
  checkNames(stream);
  if (!LAYERS.includes(layer)) throw new InvalidInputError(`Unknown layer ${String(layer)}`);
  const rows = await newest(databases, stream, layer, limit);
  if (!rows) return { total: 0, records: [] };
  return { total: rows.total, records: rows.rows.map(previewRecord) };
}

export async function rejections(
  databases: TenantDatabases,
  stream: Stream,
  limit: number,
): Promise<{ total: number; rejections: Rejection[] }> {
  checkNames(stream);
  const rows = await newest(databases, stream, QUARANTINE, limit);
  if (!rows) return { total: 0, rejections: [] };
  return {
    total: rows.total,
    rejections: rows.rows.map((row) => ({
      record: row.record,
      errors: Array.isArray(row.errors) ? (row.errors as Rejection['errors']) : [],
      reason: row.reason === 'load_failed' ? ('load_failed' as const) : ('validation' as const),
      // A line quarantined by the loader may have lost its metadata with the rest of it.
      // Both are text once read (TIMESTAMPTZ as ISO-8601, VARCHAR as is), or NULL.
      receivedAt: typeof row._received_at === 'string' ? row._received_at : '',
      batchId: typeof row._batch_id === 'string' ? row._batch_id : '',
      index: row._index == null ? -1 : Number(row._index),
    })),
  };
}

/** The layer's full row count and its newest `limit` rows, or undefined when there is no such table yet. */
async function newest(
  databases: TenantDatabases,
  stream: Stream,
  schema: string,
  limit: number,
): Promise<{ total: number; rows: Record<string, unknown>[] } | undefined> {
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new InvalidInputError('limit must be a non-negative integer');
  if (!databases.exists(stream.tenant)) return undefined;
  const relation = qualified(schema, stream.name);
  return databases.run(stream.tenant, `read ${schema}.${stream.name}`, async (c) => {
    if (!(await relationExists(c, schema, stream.name))) return undefined;
    const count = await c.runAndReadAll(`SELECT count(*) FROM ${relation}`);
    const rows = await c.runAndReadAll(
      `SELECT * FROM ${relation} ORDER BY "_batch_id" DESC, "_index" DESC LIMIT ${limit}`,
    );
    return { total: Number(count.getRows()[0][0]), rows: rowsAsJson(rows) };
  });
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
  for (const name of CHANGE_COLUMNS) if (Object.hasOwn(row, name)) out[name] = row[name];
  return out;
}
