/**
 * Where a stream's objects live. One schema per tenant inside the configured database; per-stream
 * objects take a suffix, and no suffix ends with another, so two streams' names never collide
 * (stream `orders_raw` owns ORDERS_RAW_RAW, never ORDERS_RAW). Tenant-wide objects start with `_`,
 * which no stream name can.
 */
import { InvalidInputError } from '../../domain/errors.js';
import { configIdent, ident, lit, qualify } from './identifiers.js';
import type { ColumnType } from '../../domain/schema/types.js';

export interface SnowflakeSqlConfig {
  /** Database holding one schema per tenant (SNOWFLAKE_DATABASE). */
  database: string;
  /** Warehouse that refreshes the dynamic tables (SNOWFLAKE_WAREHOUSE). */
  warehouse: string;
  /** Bucket Firehose writes to (TRIBUTARY_S3_BUCKET). */
  bucket: string;
  /** Storage integration trusted with the bucket (TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION). */
  storageIntegration: string;
  /** Role granted read access to a tenant's schema; `{tenant}` is replaced by the tenant name. */
  readerRole: string;
  /** Role that sees PII in clear; `{tenant}` is replaced by the tenant name. */
  piiRole: string;
  /** Dynamic table TARGET_LAG, default '1 minute'; at least 60 seconds, or DOWNSTREAM. */
  targetLag?: string;
  /**
   * The SNS topic the lake bucket publishes object-created events to, when it publishes to one
   * (TRIBUTARY_LAKE_EVENTS_TOPIC_ARN): needed once tenants have accounts of their own, since S3 sends
   * one prefix's events to one destination and every account's pipes must hear them.
   */
  lakeEventsTopicArn?: string;
}

export const DEFAULT_TARGET_LAG = '1 minute';
const TARGET_LAG_PATTERN = /^(\d{1,6}) (second|minute|hour|day)s?$/;
const UNIT_SECONDS = { second: 1, minute: 60, hour: 3600, day: 86_400 } as const;
/** Snowflake refuses a TARGET_LAG under one minute (since behaviour change bundle 2023_06). */
export const MIN_TARGET_LAG_SECONDS = 60;
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SNS_TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

export type SqlType = 'VARCHAR' | 'TIMESTAMP_TZ' | 'DATE' | 'NUMBER(38,0)' | 'FLOAT' | 'BOOLEAN' | 'VARIANT';

export const SQL_TYPES: Record<ColumnType, SqlType> = {
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP_TZ',
  date: 'DATE',
  integer: 'NUMBER(38,0)',
  number: 'FLOAT',
  boolean: 'BOOLEAN',
  json: 'VARIANT',
};

export interface TenantObjects {
  database: string;
  schema: string;
  fileFormat: string;
  stage: string;
  /** Fully qualified name of the file format, as the string FORMAT_NAME takes. */
  fileFormatLiteral: string;
  warehouse: string;
  storageIntegration: string;
  bucketUrl: string;
  readerRole: string;
  piiRoleLiteral: string;
  targetLag: string;
  /** AWS_SNS_TOPIC of the pipes, as a literal, when the lake publishes to a topic. */
  lakeEventsTopic?: string;
  maskPolicy(type: SqlType): string;
}

export interface StreamObjects extends TenantObjects {
  raw: string;
  quarantine: string;
  deduped: string;
  entity: string;
  rawPipe: string;
  quarantinePipe: string;
}

function role(template: string, tenant: string, setting: string): string {
  return configIdent(template.replace(/\{tenant\}/g, tenant), setting);
}

/** Resolves and validates every configured name for one tenant. */
export function tenantObjects(tenant: string, cfg: SnowflakeSqlConfig): TenantObjects {
  const database = configIdent(cfg.database, 'database');
  const schema = qualify(database, ident(tenant));
  const targetLag = targetLagSql(cfg.targetLag ?? DEFAULT_TARGET_LAG);
  if (!BUCKET_PATTERN.test(cfg.bucket)) throw new InvalidSetting('bucket', 'must be an S3 bucket name');
  const piiRole = role(cfg.piiRole, tenant, 'piiRole');
  const topic = cfg.lakeEventsTopicArn;
  if (topic !== undefined && !SNS_TOPIC_ARN_PATTERN.test(topic))
    throw new InvalidSetting('lakeEventsTopicArn', 'must be an SNS topic ARN');
  return {
    database,
    schema,
    fileFormat: qualify(schema, '"_NDJSON"'),
    stage: qualify(schema, '"_LAKE"'),
    fileFormatLiteral: lit(qualify(schema, '"_NDJSON"')),
    warehouse: configIdent(cfg.warehouse, 'warehouse'),
    storageIntegration: configIdent(cfg.storageIntegration, 'storageIntegration'),
    bucketUrl: lit(`s3://${cfg.bucket}/`),
    readerRole: role(cfg.readerRole, tenant, 'readerRole'),
    piiRoleLiteral: lit(piiRole.slice(1, -1)),
    targetLag,
    ...(topic ? { lakeEventsTopic: lit(topic) } : {}),
    maskPolicy: (type) => qualify(schema, `"_PII_MASK_${type.replace(/\(.*\)$/, '')}"`),
  };
}

export function streamObjects(tenant: string, stream: string, cfg: SnowflakeSqlConfig): StreamObjects {
  const t = tenantObjects(tenant, cfg);
  const base = ident(stream).slice(1, -1);
  const obj = (suffix: string) => qualify(t.schema, `"${base}_${suffix}"`);
  return {
    ...t,
    raw: obj('RAW'),
    quarantine: obj('QUARANTINE'),
    deduped: obj('DEDUPED'),
    entity: obj('ENTITY'),
    rawPipe: obj('RAW_PIPE'),
    quarantinePipe: obj('QUARANTINE_PIPE'),
  };
}

/**
 * TARGET_LAG as SQL: a quoted duration of at least a minute, or DOWNSTREAM. Checked here rather than left
 * to Snowflake, which would refuse it only at the first CREATE DYNAMIC TABLE, after the tables and pipes.
 */
export function targetLagSql(value: string): string {
  if (value === 'DOWNSTREAM') return value;
  const m = TARGET_LAG_PATTERN.exec(value);
  if (!m)
    throw new InvalidSetting('targetLag', "must look like '1 minute' or '90 seconds', or be DOWNSTREAM");
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  if (seconds < MIN_TARGET_LAG_SECONDS)
    throw new InvalidSetting(
      'targetLag',
      `must be at least ${MIN_TARGET_LAG_SECONDS} seconds: Snowflake refuses a shorter TARGET_LAG`,
    );
  return lit(value);
}

/**
 * A stage location as SQL. Lake paths carry `=` (`tenant=<t>/stream=<s>/`), so the location is written the
 * way Snowflake's LIST and COPY INTO reference pages give for paths with special characters: the whole
 * `@stage/path` in single quotes, the quoted stage name inside.
 */
export function stageLocation(stage: string, path: string): string {
  return lit(`@${stage}/${path}`);
}

/** The lake prefix Firehose writes a stream's objects under; the trailing slash keeps `a` from matching `ab`. */
export function lakePrefix(kind: 'raw' | 'quarantine', tenant: string, stream: string): string {
  ident(tenant);
  ident(stream);
  return `${kind}/tenant=${tenant}/stream=${stream}/`;
}

class InvalidSetting extends InvalidInputError {
  constructor(setting: string, message: string) {
    super(`Invalid Snowflake setting ${setting}`, [{ path: setting, message }]);
  }
}
