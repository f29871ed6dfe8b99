/**
 * Pure statement generation for Snowflake. Nothing here talks to Snowflake, so every statement can be
 * golden-tested; the warehouse runs exactly what these return. Every name is validated before any
 * statement is produced (validateStream), so a bad name never yields a partial plan.
 */
import { InvalidInputError } from '../../domain/errors.js';
import type { FieldError } from '../../domain/errors.js';
import { IDENTIFIER_PATTERN } from '../../domain/identifiers.js';
import { columnsOf } from '../../domain/schema/columns.js';
import type { Column } from '../../domain/schema/types.js';
import type { Stream } from '../../domain/streams/types.js';
import { checkName, ident, lit } from './identifiers.js';
import { SQL_TYPES, lakePrefix, stageLocation, streamObjects } from './names.js';
import type { SnowflakeSqlConfig, SqlType, StreamObjects } from './names.js';

/** Metadata columns after the declared ones, in table order, with how the pipe reads each from a lake line. */
export const RAW_META: Array<{ column: string; type: SqlType; path: string }> = [
  { column: '"_ID"', type: 'VARCHAR', path: '"_id"' },
  { column: '"_BATCH_ID"', type: 'VARCHAR', path: '"_batch_id"' },
  { column: '"_INDEX"', type: 'NUMBER(38,0)', path: '"_index"' },
  { column: '"_RECEIVED_AT"', type: 'TIMESTAMP_TZ', path: '"_received_at"' },
  { column: '"_SCHEMA_VERSION"', type: 'NUMBER(38,0)', path: '"_schema_version"' },
];
const QUARANTINE_META = RAW_META.filter((m) => m.column !== '"_ID"');
/**
 * A change stream's system columns (api/domain/records/debezium.ts), after the metadata. The position is
 * the same DECIMAL(38,0) DuckDB stores, so both warehouses order changes identically.
 */
export const CDC_META: Array<{ column: string; type: SqlType; path: string }> = [
  { column: '"_OP"', type: 'VARCHAR', path: '"_op"' },
  { column: '"_SOURCE_TS"', type: 'TIMESTAMP_TZ', path: '"_source_ts"' },
  { column: '"_SOURCE_POSITION"', type: 'NUMBER(38,0)', path: '"_source_position"' },
  { column: '"_SOURCE"', type: 'VARIANT', path: '"_source"' },
];

/** The raw table's system columns for this stream, in table order. */
export function rawMeta(stream: Stream): Array<{ column: string; type: SqlType; path: string }> {
  return stream.cdc ? [...RAW_META, ...CDC_META] : RAW_META;
}
const EXTRA = '"_EXTRA"';
/**
 * The lake object a raw row was loaded from (METADATA$FILENAME: the key, as the stage sits at the bucket
 * root). Firehose packs many batches into one object, so this is how a loaded file maps to the batches,
 * and so to the receipts, it holds. Nullable: tables created before it get it by ALTER TABLE.
 */
export const FILE_COLUMN = '"_FILE"';

/** ISO-8601 with milliseconds and offset, so timestamps come back as strings the API can pass on. */
export const TS_FORMAT = lit('YYYY-MM-DD"T"HH24:MI:SS.FF3TZH:TZM');

// ---------------------------------------------------------------- validation

/** Checks every name a stream's SQL will carry; throws one InvalidInputError listing them all. */
export function validateStream(stream: Stream): void {
  const errors: FieldError[] = [];
  checkName(stream.tenant, 'tenant', errors);
  checkName(stream.name, 'name', errors);
  const props = Object.keys(stream.schema?.properties ?? {});
  for (const p of props) checkName(p, `schema.properties.${p}`, errors);
  const known = new Set(props);
  const mustExist = (field: string | undefined, path: string) => {
    if (field === undefined) return;
    checkName(field, path, errors);
    if (IDENTIFIER_PATTERN.test(field) && !known.has(field))
      errors.push({ path, message: `${field} is not a declared property` });
  };
  stream.dedupe?.key.forEach((k, i) => mustExist(k, `dedupe.key.${i}`));
  stream.entity?.key.forEach((k, i) => mustExist(k, `entity.key.${i}`));
  mustExist(stream.entity?.orderBy, 'entity.orderBy');
  mustExist(stream.entity?.deleteField, 'entity.deleteField');
  stream.piiFields.forEach((f, i) => mustExist(f, `piiFields.${i}`));
  stream.clusterBy.forEach((f, i) => mustExist(f, `clusterBy.${i}`));
  // The domain refuses these too; checked again because a VARIANT clustering key fails the whole CREATE TABLE.
  const variant = new Set(
    columnsOf({ type: 'object', properties: stream.schema?.properties ?? {} })
      .filter((c) => c.type === 'json')
      .map((c) => c.name),
  );
  stream.clusterBy.forEach((f, i) => {
    if (variant.has(f))
      errors.push({
        path: `clusterBy.${i}`,
        message: `${f} is stored as VARIANT, which cannot be clustered on`,
      });
  });
  if (stream.dedupe && stream.dedupe.key.length === 0)
    errors.push({ path: 'dedupe.key', message: 'must not be empty' });
  if (stream.entity && stream.entity.key.length === 0)
    errors.push({ path: 'entity.key', message: 'must not be empty' });
  if (errors.length) throw new InvalidInputError('Invalid name for Snowflake', errors);
}

export function prepare(stream: Stream, cfg: SnowflakeSqlConfig): { o: StreamObjects; cols: Column[] } {
  validateStream(stream);
  return { o: streamObjects(stream.tenant, stream.name, cfg), cols: columnsOf(stream.schema) };
}

export const col = (name: string) => ident(name);
export const list = (names: string[]) => names.map(col).join(', ');

// ---------------------------------------------------------------- create

/** Everything createStream runs, in order. Idempotent: each statement tolerates an earlier run. */
export function createStreamSql(stream: Stream, cfg: SnowflakeSqlConfig): string[] {
  const { o, cols } = prepare(stream, cfg);
  return [
    ...tenantSql(o),
    rawTableSql(stream, o, cols),
    quarantineTableSql(o),
    ...rawMaskingSql(stream, o, cols),
    pipeSql(stream, o, cols, 'raw', 'CREATE PIPE IF NOT EXISTS'),
    pipeSql(stream, o, cols, 'quarantine', 'CREATE PIPE IF NOT EXISTS'),
    ...layersSql(stream, cfg, 'create'),
    ...grantsSql(stream, cfg),
  ];
}

function tenantSql(o: StreamObjects): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${o.schema}`,
    [
      `CREATE FILE FORMAT IF NOT EXISTS ${o.fileFormat}`,
      `  TYPE = JSON`,
      `  STRIP_OUTER_ARRAY = FALSE`,
      `  COMPRESSION = AUTO`,
    ].join('\n'),
    [
      `CREATE STAGE IF NOT EXISTS ${o.stage}`,
      `  URL = ${o.bucketUrl}`,
      `  STORAGE_INTEGRATION = ${o.storageIntegration}`,
      `  FILE_FORMAT = (FORMAT_NAME = ${o.fileFormatLiteral})`,
    ].join('\n'),
  ];
}

/** Typed columns are all nullable: `required` is enforced at ingest, and relaxing it must need no DDL. */
function rawTableSql(stream: Stream, o: StreamObjects, cols: Column[]): string {
  const lines = [
    ...cols.map((c) => `  ${col(c.name)} ${SQL_TYPES[c.type]}`),
    `  ${EXTRA} VARIANT`,
    ...rawMeta(stream).map((m) => `  ${m.column} ${m.type} NOT NULL`),
    `  ${FILE_COLUMN} VARCHAR`,
  ];
  const cluster = stream.clusterBy.length ? `\nCLUSTER BY (${list(stream.clusterBy)})` : '';
  return `CREATE TABLE IF NOT EXISTS ${o.raw} (\n${lines.join(',\n')}\n)${cluster}`;
}

function quarantineTableSql(o: StreamObjects): string {
  const lines = [
    '  "RECORD" VARIANT',
    '  "ERRORS" VARIANT',
    ...QUARANTINE_META.map((m) => `  ${m.column} ${m.type} NOT NULL`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${o.quarantine} (\n${lines.join(',\n')}\n)`;
}

/**
 * The pipe's COPY names its target columns, so the table's column order never matters. The path is the
 * stream's own lake prefix with its trailing slash, quoted because it holds `=`. ON_ERROR is explicit: a file with a bad line is
 * skipped whole and reported by COPY_HISTORY / VALIDATE_PIPE_LOAD.
 */
export function pipeSql(
  stream: Stream,
  o: StreamObjects,
  cols: Column[],
  kind: 'raw' | 'quarantine',
  verb: string,
): string {
  const target = kind === 'raw' ? o.raw : o.quarantine;
  const pipe = kind === 'raw' ? o.rawPipe : o.quarantinePipe;
  const select =
    kind === 'raw'
      ? [
          ...cols.map((c) => ({ column: col(c.name), expr: readField(c) })),
          { column: EXTRA, expr: '$1:"extra"' },
          ...rawMeta(stream).map((m) => ({
            column: m.column,
            expr: m.type === 'VARIANT' ? `$1:${m.path}` : `$1:${m.path}::${m.type}`,
          })),
          { column: FILE_COLUMN, expr: 'METADATA$FILENAME' },
        ]
      : [
          { column: '"RECORD"', expr: '$1:"record"' },
          { column: '"ERRORS"', expr: '$1:"errors"' },
          ...QUARANTINE_META.map((m) => ({ column: m.column, expr: `$1:${m.path}::${m.type}` })),
        ];
  return [
    `${verb} ${pipe}`,
    `  AUTO_INGEST = TRUE`,
    // Snowflake subscribes the account's queue to the topic; without it the pipe expects S3's own events.
    ...(o.lakeEventsTopic ? [`  AWS_SNS_TOPIC = ${o.lakeEventsTopic}`] : []),
    `  AS COPY INTO ${target} (${select.map((s) => s.column).join(', ')})`,
    `  FROM (`,
    `    SELECT`,
    select.map((s) => `      ${s.expr}`).join(',\n'),
    `    FROM ${stageLocation(o.stage, lakePrefix(kind, stream.tenant, stream.name))}`,
    `  )`,
    `  FILE_FORMAT = (FORMAT_NAME = ${o.fileFormatLiteral})`,
    `  ON_ERROR = 'SKIP_FILE'`,
  ].join('\n');
}

/** JSON keys are case-sensitive: the double-quoted path element matches the field exactly. */
function readField(c: Column): string {
  const path = `$1:"record":"${c.name}"`;
  return c.type === 'json' ? path : `${path}::${SQL_TYPES[c.type]}`;
}

// ---------------------------------------------------------------- layers

/**
 * Deduped and entity layers as dynamic tables. `SELECT *` on purpose: a layer carries every column the
 * raw table has (retired properties included), and is recreated whenever that set changes (the `*` is
 * expanded when the table is created, so an added raw column reaches a layer only by replacement).
 * The entity layer reads the deduped layer when there is one, so a re-sent duplicate never wins.
 *
 * A new stream's layers initialize on create: raw is empty, so it is instant and a bad query fails the
 * create. A replaced layer initializes on schedule: its first refresh reads all of raw, which can take
 * longer than the request that evolves the stream may wait; until it runs, reads of the layer answer 503.
 */
export function layersSql(stream: Stream, cfg: SnowflakeSqlConfig, mode: 'create' | 'replace'): string[] {
  const { o } = prepare(stream, cfg);
  const verb = mode === 'create' ? 'CREATE DYNAMIC TABLE IF NOT EXISTS' : 'CREATE OR REPLACE DYNAMIC TABLE';
  const out: string[] = [];
  const header = (name: string) => [
    `${verb} ${name}`,
    `  TARGET_LAG = ${o.targetLag}`,
    `  WAREHOUSE = ${o.warehouse}`,
    `  INITIALIZE = ${mode === 'create' ? 'ON_CREATE' : 'ON_SCHEDULE'}`,
    `  AS`,
  ];
  if (stream.dedupe) {
    // A change stream keeps one copy per change: a redelivery repeats the key and the source position.
    const partition = [list(stream.dedupe.key), ...(stream.cdc ? ['"_SOURCE_POSITION"'] : [])].join(', ');
    out.push(
      [
        ...header(o.deduped),
        `  SELECT *`,
        `  FROM ${o.raw}`,
        `  QUALIFY ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY "_BATCH_ID", "_INDEX") = 1`,
      ].join('\n'),
    );
  }
  if (stream.entity) {
    const source = stream.dedupe ? o.deduped : o.raw;
    const { key, orderBy, deleteField } = stream.entity;
    // Ascending with NULLS FIRST makes the latest row last; reversed, it is row 1 (a NULL orderBy never wins).
    // A change stream's latest is the last change in source order, whatever order it arrived in; at one
    // position a snapshot read loses (the same order as DuckDB's view).
    const order = [
      ...(stream.cdc
        ? [
            '"_SOURCE_POSITION" DESC NULLS LAST',
            `CASE WHEN "_OP" = 'r' THEN 0 ELSE 1 END DESC`,
            '"_SOURCE_TS" DESC NULLS LAST',
          ]
        : []),
      ...(orderBy ? [`${col(orderBy)} DESC NULLS LAST`] : []),
      '"_BATCH_ID" DESC',
      '"_INDEX" DESC',
    ].join(', ');
    const latest = [
      `SELECT *`,
      `FROM ${source}`,
      `QUALIFY ROW_NUMBER() OVER (PARTITION BY ${list(key)} ORDER BY ${order}) = 1`,
    ];
    const kept = stream.cdc
      ? `"_OP" <> 'd'`
      : deleteField
        ? `${col(deleteField)} IS DISTINCT FROM TRUE`
        : undefined;
    out.push(
      [
        ...header(o.entity),
        ...(kept
          ? // The delete must win first and then hide its entity, so the filter sits outside the QUALIFY.
            [`  SELECT *`, `  FROM (`, ...latest.map((l) => `    ${l}`), `  )`, `  WHERE ${kept}`]
          : latest.map((l) => `  ${l}`)),
      ].join('\n'),
    );
  }
  out.push(...layerMaskingSql(stream, cfg));
  return out;
}

// ---------------------------------------------------------------- masking and grants

const MASKED_VALUE: Record<SqlType, string> = {
  VARCHAR: "'***'",
  VARIANT: "TO_VARIANT('***')",
  TIMESTAMP_TZ: 'NULL',
  DATE: 'NULL',
  'NUMBER(38,0)': 'NULL',
  FLOAT: 'NULL',
  BOOLEAN: 'NULL',
};

/** Policy input type: NUMBER covers NUMBER(38,0) (a policy's signature takes no precision). */
const POLICY_TYPE = (t: SqlType) => (t === 'NUMBER(38,0)' ? 'NUMBER' : t);

function piiTypes(stream: Stream, cols: Column[], withVariant: boolean): SqlType[] {
  const types = new Set<SqlType>();
  for (const c of cols) if (stream.piiFields.includes(c.name)) types.add(SQL_TYPES[c.type]);
  if (withVariant) types.add('VARIANT');
  return [...types];
}

/**
 * One policy per column type per tenant. IF NOT EXISTS because a policy attached to columns cannot be
 * replaced; FORCE on SET so re-running swaps a policy in place instead of failing.
 */
export function maskingPolicySql(stream: Stream, cfg: SnowflakeSqlConfig): string[] {
  const { o, cols } = prepare(stream, cfg);
  return policiesSql(stream, o, cols);
}

export function policiesSql(stream: Stream, o: StreamObjects, cols: Column[]): string[] {
  if (stream.piiFields.length === 0) return [];
  return piiTypes(stream, cols, true).map((type) =>
    [
      `CREATE MASKING POLICY IF NOT EXISTS ${o.maskPolicy(type)}`,
      `  AS (val ${POLICY_TYPE(type)}) RETURNS ${POLICY_TYPE(type)} ->`,
      `  CASE WHEN IS_ROLE_IN_SESSION(${o.piiRoleLiteral}) THEN val ELSE ${MASKED_VALUE[type]} END`,
    ].join('\n'),
  );
}

export function setMask(
  kind: 'TABLE' | 'DYNAMIC TABLE',
  table: string,
  column: string,
  policy: string,
): string {
  return `ALTER ${kind} ${table} MODIFY COLUMN ${column} SET MASKING POLICY ${policy} FORCE`;
}

/** Policies, then each PII column of the raw table; a stream with PII also masks quarantined records whole. */
function rawMaskingSql(stream: Stream, o: StreamObjects, cols: Column[]): string[] {
  if (stream.piiFields.length === 0) return [];
  return [
    ...policiesSql(stream, o, cols),
    ...cols
      .filter((c) => stream.piiFields.includes(c.name))
      .map((c) => setMask('TABLE', o.raw, col(c.name), o.maskPolicy(SQL_TYPES[c.type]))),
    setMask('TABLE', o.quarantine, '"RECORD"', o.maskPolicy('VARIANT')),
  ];
}

/**
 * Layers hold clear values only if their owner (the service role) is granted the PII role, since a
 * refresh reads raw through its policy; so the layers carry the same policies.
 */
function layerMaskingSql(stream: Stream, cfg: SnowflakeSqlConfig): string[] {
  const { o, cols } = prepare(stream, cfg);
  const layers = [...(stream.dedupe ? [o.deduped] : []), ...(stream.entity ? [o.entity] : [])];
  return layers.flatMap((t) =>
    cols
      .filter((c) => stream.piiFields.includes(c.name))
      .map((c) => setMask('DYNAMIC TABLE', t, col(c.name), o.maskPolicy(SQL_TYPES[c.type]))),
  );
}

/** Masking as a unit (policies and every attachment), for review and golden tests. */
export function maskingSql(stream: Stream, cfg: SnowflakeSqlConfig): string[] {
  const { o, cols } = prepare(stream, cfg);
  return [...rawMaskingSql(stream, o, cols), ...layerMaskingSql(stream, cfg)];
}

/** Read access for the tenant's reader role; MONITOR lets it see pipe status and load history. */
export function grantsSql(stream: Stream, cfg: SnowflakeSqlConfig): string[] {
  const { o } = prepare(stream, cfg);
  return [
    `GRANT USAGE ON DATABASE ${o.database} TO ROLE ${o.readerRole}`,
    `GRANT USAGE ON SCHEMA ${o.schema} TO ROLE ${o.readerRole}`,
    `GRANT SELECT ON TABLE ${o.raw} TO ROLE ${o.readerRole}`,
    `GRANT SELECT ON TABLE ${o.quarantine} TO ROLE ${o.readerRole}`,
    ...layerGrantsSql(stream, o),
    `GRANT MONITOR ON PIPE ${o.rawPipe} TO ROLE ${o.readerRole}`,
    `GRANT MONITOR ON PIPE ${o.quarantinePipe} TO ROLE ${o.readerRole}`,
  ];
}

export function layerGrantsSql(stream: Stream, o: StreamObjects): string[] {
  return [
    ...(stream.dedupe ? [`GRANT SELECT ON DYNAMIC TABLE ${o.deduped} TO ROLE ${o.readerRole}`] : []),
    ...(stream.entity ? [`GRANT SELECT ON DYNAMIC TABLE ${o.entity} TO ROLE ${o.readerRole}`] : []),
  ];
}
