/** Read statements: previews, totals, rejections and load history. Pure, like the DDL. */
import { InvalidInputError } from '../../domain/errors.js';
import type { Layer, Stream } from '../../domain/streams/types.js';
import { ident, lit } from './identifiers.js';
import { streamObjects, tenantObjects } from './names.js';
import type { SnowflakeSqlConfig, StreamObjects } from './names.js';
import { FILE_COLUMN, TS_FORMAT, col, prepare } from './sql.js';

export const MAX_LIMIT = 10_000;

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidInputError('Invalid limit', [
      { path: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` },
    ]);
  }
  return limit;
}

/** Without a dedupe key the deduped layer is the raw table; without an entity key there is no entity layer. */
export function layerTable(stream: Stream, layer: Layer, o: StreamObjects): string {
  if (layer === 'raw') return o.raw;
  if (layer === 'deduped') return stream.dedupe ? o.deduped : o.raw;
  if (!stream.entity)
    throw new InvalidInputError('This stream has no entity layer', [
      { path: 'layer', message: 'stream declares no entity key' },
    ]);
  return o.entity;
}

const asIso = (c: string) => `TO_VARCHAR(${c}, ${TS_FORMAT}) AS ${c}`;

/** Newest first by receive order. Timestamps and dates come back as ISO strings. */
export function previewSql(stream: Stream, layer: Layer, limit: number, cfg: SnowflakeSqlConfig): string {
  const { o, cols } = prepare(stream, cfg);
  const select = [
    ...cols.map((c) =>
      c.type === 'timestamp'
        ? asIso(col(c.name))
        : c.type === 'date'
          ? `TO_VARCHAR(${col(c.name)}, 'YYYY-MM-DD') AS ${col(c.name)}`
          : col(c.name),
    ),
    '"_EXTRA"',
    '"_ID"',
    '"_BATCH_ID"',
    asIso('"_RECEIVED_AT"'),
    '"_SCHEMA_VERSION"',
    // As text: a 38-digit position does not survive the driver's conversion to a JS number.
    ...(stream.cdc
      ? ['"_OP"', asIso('"_SOURCE_TS"'), 'TO_VARCHAR("_SOURCE_POSITION") AS "_SOURCE_POSITION"', '"_SOURCE"']
      : []),
  ];
  return [
    `SELECT ${select.join(', ')}`,
    `FROM ${layerTable(stream, layer, o)}`,
    `ORDER BY "_BATCH_ID" DESC, "_INDEX" DESC`,
    `LIMIT ${checkLimit(limit)}`,
  ].join('\n');
}

export function countSql(stream: Stream, layer: Layer, cfg: SnowflakeSqlConfig): string {
  const { o } = prepare(stream, cfg);
  return `SELECT COUNT(*) AS "TOTAL" FROM ${layerTable(stream, layer, o)}`;
}

export function rejectionsSql(stream: Stream, limit: number, cfg: SnowflakeSqlConfig): string {
  const { o } = prepare(stream, cfg);
  return [
    `SELECT "RECORD", "ERRORS", ${asIso('"_RECEIVED_AT"')}, "_BATCH_ID", "_INDEX"`,
    `FROM ${o.quarantine}`,
    `ORDER BY "_BATCH_ID" DESC, "_INDEX" DESC`,
    `LIMIT ${checkLimit(limit)}`,
  ].join('\n');
}

export function rejectionsCountSql(stream: Stream, cfg: SnowflakeSqlConfig): string {
  const { o } = prepare(stream, cfg);
  return `SELECT COUNT(*) AS "TOTAL" FROM ${o.quarantine}`;
}

/**
 * COPY_HISTORY refuses a START_TIME more than 14 days back, so a cursor that old (a stream idle for two
 * weeks) is clamped by Snowflake's own clock, ten minutes inside the limit.
 */
export const COPY_HISTORY_MAX_AGE_MINUTES = 14 * 24 * 60 - 10;

export function historyStart(since: string, path = 'since'): string {
  const at = Date.parse(since);
  if (Number.isNaN(at))
    throw new InvalidInputError('Invalid time', [{ path, message: 'must be an ISO-8601 time' }]);
  return `GREATEST(TO_TIMESTAMP_LTZ(${lit(new Date(at).toISOString())}), DATEADD(MINUTE, -${COPY_HISTORY_MAX_AGE_MINUTES}, CURRENT_TIMESTAMP()))`;
}

/**
 * Per-file load outcomes of both pipes since `since` (clamped to COPY_HISTORY's 14 days). FILE_NAME is
 * the lake key, so receipts can match the objects a batch went into.
 */
export function copyHistorySql(
  tenant: string,
  stream: string,
  since: string,
  cfg: SnowflakeSqlConfig,
): string {
  ident(tenant);
  ident(stream);
  const start = historyStart(since);
  const o = streamObjects(tenant, stream, cfg);
  const t = tenantObjects(tenant, cfg);
  const part = (kind: 'raw' | 'quarantine', table: string) =>
    [
      `SELECT ${lit(kind)} AS "KIND", "FILE_NAME", ${asIso('"LAST_LOAD_TIME"')}, "ROW_COUNT", "ROW_PARSED", "ERROR_COUNT", "FIRST_ERROR_MESSAGE", "STATUS"`,
      `FROM TABLE(${t.database}.INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => ${lit(table)}, START_TIME => ${start}))`,
    ].join('\n');
  return [
    part('raw', o.raw),
    'UNION ALL',
    part('quarantine', o.quarantine),
    'ORDER BY "LAST_LOAD_TIME"',
  ].join('\n');
}

const BATCH_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Rows of one batch in the raw table: a batch receipt is 'loaded' once they are all there. */
export function batchRowsSql(stream: Stream, batchId: string, cfg: SnowflakeSqlConfig): string {
  if (!BATCH_ID.test(batchId)) {
    throw new InvalidInputError(`'${batchId}' is not a batch id`, [
      { path: 'batchId', message: 'must be a 26-character batch id' },
    ]);
  }
  const { o } = prepare(stream, cfg);
  return `SELECT COUNT(*) AS "N" FROM ${o.raw} WHERE "_BATCH_ID" = ${lit(batchId)}`;
}

/**
 * The batches in loaded raw files, each with its distinct rows in all of raw: a batch Firehose split over
 * two objects is complete only once both are loaded. `_INDEX` is distinct per row of a batch, so a row
 * Firehose delivered twice counts once.
 */
export function batchesInFilesSql(
  tenant: string,
  stream: string,
  files: string[],
  cfg: SnowflakeSqlConfig,
): string {
  if (files.length === 0 || files.length > MAX_LIMIT)
    throw new InvalidInputError('Invalid file list', [
      { path: 'files', message: `must hold 1 to ${MAX_LIMIT} files` },
    ]);
  const o = streamObjects(tenant, stream, cfg);
  return [
    `WITH "FRESH" AS (`,
    `  SELECT DISTINCT ${FILE_COLUMN}, "_BATCH_ID"`,
    `  FROM ${o.raw}`,
    `  WHERE ${FILE_COLUMN} IN (${files.map(lit).join(', ')})`,
    `)`,
    `SELECT "FRESH".${FILE_COLUMN} AS "FILE", "FRESH"."_BATCH_ID" AS "BATCH_ID", COUNT(DISTINCT "R"."_INDEX") AS "ROWS"`,
    `FROM "FRESH"`,
    `JOIN ${o.raw} AS "R" ON "R"."_BATCH_ID" = "FRESH"."_BATCH_ID"`,
    `GROUP BY "FRESH".${FILE_COLUMN}, "FRESH"."_BATCH_ID"`,
    `ORDER BY "FILE", "BATCH_ID"`,
  ].join('\n');
}
