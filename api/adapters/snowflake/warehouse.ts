/**
 * The Warehouse port on Snowflake (TRIBUTARY_MODE=aws). Firehose writes the lake objects and Snowpipe
 * loads them, so this adapter only runs DDL and reads: statements come from the pure generators in
 * sql.ts / evolution.ts / queries.ts, and each runs on the tenant's own connection.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { InvalidInputError } from '../../domain/errors.js';
import type { ObjectKind, Rejection } from '../../domain/records/types.js';
import { columnsOf } from '../../domain/schema/columns.js';
import type { FieldError } from '../../domain/errors.js';
import type { Layer, Stream } from '../../domain/streams/types.js';
import type { FileBatch, PreviewResult, Warehouse } from '../../ports.js';
import { connectSnowflake, resolvePrivateKey } from './connection.js';
import type { Row, SnowflakeConnectionLike } from './connection.js';
import { toDomainError } from './errors.js';
import { evolveStreamPlan, evolveStreamSql } from './evolution.js';
import { DEFAULT_DRAIN, runEvolution } from './evolution-runner.js';
import type { DrainSettings } from './evolution-runner.js';
import { DEFAULT_TARGET_LAG, targetLagSql } from './names.js';
import type { SnowflakeSqlConfig } from './names.js';
import {
  batchRowsSql,
  batchesInFilesSql,
  copyHistorySql,
  countSql,
  previewSql,
  rejectionsCountSql,
  rejectionsSql,
} from './queries.js';
import { createStreamSql } from './sql.js';
import { ident } from './identifiers.js';

export interface SnowflakeWarehouseOptions {
  /** Opens the session used for one tenant's statements; called once per tenant (again after a failure). */
  connect: (tenant: string) => Promise<SnowflakeConnectionLike>;
  config: SnowflakeSqlConfig;
  logger: Logger;
  now?: () => Date;
  /** Waits between SYSTEM$PIPE_STATUS reads while a pipe drains; tests pass one that needs no timer. */
  sleep?: (ms: number) => Promise<void>;
  drain?: DrainSettings;
}

/** One file's outcome in a pipe's load history. */
export interface LoadHistoryEntry {
  kind: ObjectKind;
  /** Path relative to the stage, which sits at the bucket root: the lake key. */
  file: string;
  loadedAt: string;
  rows: number;
  parsed: number;
  errors: number;
  firstError?: string;
  /** Snowflake's STATUS: 'Loaded', 'Load failed', 'Partially loaded'... */
  status: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class SnowflakeWarehouse implements Warehouse {
  private readonly connections = new Map<string, Promise<SnowflakeConnectionLike>>();
  private readonly now: () => Date;

  constructor(private readonly opts: SnowflakeWarehouseOptions) {
    this.now = opts.now ?? (() => new Date());
    // At start-up, not at the first stream: a bad setting should stop the deploy, not a tenant's request.
    targetLagSql(opts.config.targetLag ?? DEFAULT_TARGET_LAG);
  }

  async createStream(stream: Stream): Promise<void> {
    const statements = createStreamSql(stream, this.opts.config);
    await this.runAll(stream.tenant, statements, { op: 'createStream', stream: stream.name });
  }

  planEvolution(from: Stream, to: Stream): string[] {
    return evolveStreamSql(from, to, this.opts.config);
  }

  async evolveStream(from: Stream, to: Stream): Promise<void> {
    const steps = evolveStreamPlan(from, to, this.opts.config);
    const context = { op: 'evolveStream', tenant: to.tenant, stream: to.name, version: to.version };
    const started = this.now().getTime();
    let current = '';
    try {
      const result = await runEvolution(steps, {
        execute: (sql) => {
          current = sql;
          return this.query(to.tenant, sql);
        },
        logger: this.opts.logger.child(context),
        now: () => this.now().getTime(),
        sleep: this.opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        drain: this.opts.drain ?? DEFAULT_DRAIN,
      });
      this.opts.logger.info(
        { ...context, ...result, ms: this.now().getTime() - started },
        'snowflake DDL applied',
      );
    } catch (err) {
      this.opts.logger.warn({ ...context, statement: current.split('\n')[0], err }, 'snowflake DDL failed');
      throw err;
    }
  }

  async preview(stream: Stream, layer: Layer, limit: number): Promise<PreviewResult> {
    const select = previewSql(stream, layer, limit, this.opts.config);
    const count = countSql(stream, layer, this.opts.config);
    const [totalRows, rows] = [
      await this.query(stream.tenant, count),
      await this.query(stream.tenant, select),
    ];
    const cols = columnsOf(stream.schema);
    return {
      total: Number(totalRows[0]?.TOTAL ?? 0),
      records: rows.map((row) => {
        const record: Record<string, unknown> = {};
        for (const c of cols) record[c.name] = row[c.name.toUpperCase()] ?? null;
        const extra = row._EXTRA;
        if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
          for (const [k, v] of Object.entries(extra)) if (!(k in record)) record[k] = v;
        }
        record._id = row._ID;
        record._batch_id = row._BATCH_ID;
        record._received_at = iso(row._RECEIVED_AT);
        record._schema_version = Number(row._SCHEMA_VERSION);
        return record;
      }),
    };
  }

  async rejections(stream: Stream, limit: number): Promise<{ total: number; rejections: Rejection[] }> {
    const select = rejectionsSql(stream, limit, this.opts.config);
    const count = rejectionsCountSql(stream, this.opts.config);
    const [totalRows, rows] = [
      await this.query(stream.tenant, count),
      await this.query(stream.tenant, select),
    ];
    return {
      total: Number(totalRows[0]?.TOTAL ?? 0),
      rejections: rows.map((row) => ({
        record: row.RECORD ?? null,
        errors: Array.isArray(row.ERRORS) ? (row.ERRORS as FieldError[]) : [],
        // Snowpipe never writes the quarantine table: a line it refuses stays in its load history.
        reason: 'validation' as const,
        receivedAt: iso(row._RECEIVED_AT),
        batchId: String(row._BATCH_ID),
        index: Number(row._INDEX),
      })),
    };
  }

  /** Both pipes' per-file load outcomes since `since` (default: the last 24 hours), oldest first. */
  async batchRows(stream: Stream, batchId: string): Promise<number> {
    const rows = await this.query(stream.tenant, batchRowsSql(stream, batchId, this.opts.config));
    return Number(rows[0]?.N ?? 0);
  }

  async loadHistory(tenant: string, stream: string, since?: string): Promise<LoadHistoryEntry[]> {
    const from = since ?? new Date(this.now().getTime() - DAY_MS).toISOString();
    const rows = await this.query(tenant, copyHistorySql(tenant, stream, from, this.opts.config));
    return rows.map((row) => ({
      kind: row.KIND === 'quarantine' ? 'quarantine' : 'raw',
      file: String(row.FILE_NAME),
      loadedAt: iso(row.LAST_LOAD_TIME),
      rows: Number(row.ROW_COUNT ?? 0),
      parsed: Number(row.ROW_PARSED ?? 0),
      errors: Number(row.ERROR_COUNT ?? 0),
      ...(typeof row.FIRST_ERROR_MESSAGE === 'string' ? { firstError: row.FIRST_ERROR_MESSAGE } : {}),
      status: typeof row.STATUS === 'string' ? row.STATUS : '',
    }));
  }

  /** The batches in these loaded raw files, with each batch's distinct rows in raw (see batchesInFilesSql). */
  async batchesInFiles(tenant: string, stream: string, files: string[]): Promise<FileBatch[]> {
    const rows = await this.query(tenant, batchesInFilesSql(tenant, stream, files, this.opts.config));
    return rows.map((r) => ({
      file: String(r.FILE),
      batchId: String(r.BATCH_ID),
      rows: Number(r.ROWS ?? 0),
    }));
  }

  /** When each of `keys` was loaded (successfully), for batch receipts. */
  async loadedAt(
    tenant: string,
    stream: string,
    keys: string[],
    since?: string,
  ): Promise<Map<string, string>> {
    const wanted = new Set(keys);
    const out = new Map<string, string>();
    for (const e of await this.loadHistory(tenant, stream, since)) {
      if (wanted.has(e.file) && e.status.toLowerCase() === 'loaded') out.set(e.file, e.loadedAt);
    }
    return out;
  }

  async close(): Promise<void> {
    const open = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(open.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }

  private connection(tenant: string): Promise<SnowflakeConnectionLike> {
    let conn = this.connections.get(tenant);
    if (!conn) {
      conn = this.opts.connect(tenant).catch((err: unknown) => {
        this.connections.delete(tenant);
        throw toDomainError(err);
      });
      this.connections.set(tenant, conn);
    }
    return conn;
  }

  private async query(tenant: string, sql: string): Promise<Row[]> {
    const conn = await this.connection(tenant);
    try {
      return await conn.execute(sql);
    } catch (err) {
      throw toDomainError(err);
    }
  }

  /** In order, stopping at the first failure; every statement is idempotent, so a retry resumes safely. */
  private async runAll(
    tenant: string,
    statements: string[],
    context: Record<string, unknown>,
  ): Promise<void> {
    const started = this.now().getTime();
    for (const [i, sql] of statements.entries()) {
      try {
        await this.query(tenant, sql);
      } catch (err) {
        this.opts.logger.warn(
          { ...context, tenant, statement: i, of: statements.length, err },
          'snowflake DDL failed',
        );
        throw err;
      }
    }
    this.opts.logger.info(
      { ...context, tenant, statements: statements.length, ms: this.now().getTime() - started },
      'snowflake DDL applied',
    );
  }
}

/** A timestamp the queries select through TO_VARCHAR, as ISO-8601 in UTC; '' for NULL. */
function iso(value: unknown): string {
  const s = typeof value === 'string' ? value : '';
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

export interface SnowflakeFromConfigOptions {
  logger: Logger;
  /** Role templates (`{tenant}` is replaced); defaults `{tenant}_reader` and `{tenant}_pii`. */
  readerRole?: string;
  piiRole?: string;
  targetLag?: string;
  now?: () => Date;
}

/** Builds the adapter from the environment's settings; the key is resolved once, lazily, and never logged. */
export function snowflakeWarehouseFromConfig(
  config: Config,
  opts: SnowflakeFromConfigOptions,
): SnowflakeWarehouse {
  const missing: string[] = (
    [
      'SNOWFLAKE_ACCOUNT',
      'SNOWFLAKE_USER',
      'SNOWFLAKE_WAREHOUSE',
      'SNOWFLAKE_DATABASE',
      'TRIBUTARY_S3_BUCKET',
      'TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION',
    ] as const
  ).filter((k) => !config[k]);
  if (!config.SNOWFLAKE_PRIVATE_KEY && !config.SNOWFLAKE_PRIVATE_KEY_SECRET_ARN)
    missing.push('SNOWFLAKE_PRIVATE_KEY');
  if (missing.length) {
    throw new InvalidInputError(
      'Snowflake is not configured',
      missing.map((k) => ({ path: k, message: 'required when TRIBUTARY_MODE=aws' })),
    );
  }
  let key: Promise<string> | undefined;
  const privateKey = () => {
    key ??= resolvePrivateKey({
      privateKey: config.SNOWFLAKE_PRIVATE_KEY,
      secretArn: config.SNOWFLAKE_PRIVATE_KEY_SECRET_ARN,
      region: config.AWS_REGION,
    }).catch((err: unknown) => {
      key = undefined;
      throw err;
    });
    return key;
  };
  return new SnowflakeWarehouse({
    logger: opts.logger,
    now: opts.now,
    config: {
      database: config.SNOWFLAKE_DATABASE!,
      warehouse: config.SNOWFLAKE_WAREHOUSE!,
      bucket: config.TRIBUTARY_S3_BUCKET!,
      storageIntegration: config.TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION!,
      readerRole: opts.readerRole ?? '{tenant}_reader',
      piiRole: opts.piiRole ?? '{tenant}_pii',
      ...(opts.targetLag ? { targetLag: opts.targetLag } : {}),
    },
    connect: async (tenant) => {
      ident(tenant);
      return connectSnowflake({
        account: config.SNOWFLAKE_ACCOUNT!,
        username: config.SNOWFLAKE_USER!,
        privateKey: await privateKey(),
        role: config.SNOWFLAKE_ROLE,
        warehouse: config.SNOWFLAKE_WAREHOUSE,
        database: config.SNOWFLAKE_DATABASE,
        accessUrl: config.SNOWFLAKE_ACCESS_URL,
        statementTimeoutSeconds: 300,
      });
    },
  });
}
