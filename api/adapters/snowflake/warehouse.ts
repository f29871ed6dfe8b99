/**
 * The Warehouse port on Snowflake (TRIBUTARY_MODE=aws). Firehose writes the lake objects and Snowpipe
 * loads them, so this adapter only runs DDL and reads: statements come from the pure generators in
 * sql.ts / evolution.ts / queries.ts, and each runs on the tenant's own session, in the tenant's own
 * account when it is bound to one (tenant-accounts.ts) and in the shared account otherwise.
 */
import type { Logger } from 'pino';
import type { ObjectKind, Rejection } from '../../domain/records/types.js';
import { columnsOf } from '../../domain/schema/columns.js';
import type { FieldError } from '../../domain/errors.js';
import type { Layer, Stream } from '../../domain/streams/types.js';
import type { FileBatch, PreviewResult, Warehouse } from '../../ports.js';
import type { Row, SnowflakeConnectionLike } from './connection.js';
import { ConnectionPool } from './connection-pool.js';
import type { TenantTarget } from './tenant-accounts.js';
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
  /** Opens a session in the shared account for one tenant's statements (again after a failure or eviction). */
  connect: (tenant: string) => Promise<SnowflakeConnectionLike>;
  /** The shared account's settings. */
  config: SnowflakeSqlConfig;
  /** The tenant's own account, when it is bound to one; tenants without one use the shared account. */
  targetOf?: (tenant: string) => Promise<TenantTarget | undefined>;
  /** Sessions kept open (one per tenant) and how long an unused one stays open. */
  sessions?: { maxSize: number; idleMs: number };
  logger: Logger;
  now?: () => Date;
  /** Waits between SYSTEM$PIPE_STATUS reads while a pipe drains; tests pass one that needs no timer. */
  sleep?: (ms: number) => Promise<void>;
  drain?: DrainSettings;
}

const DEFAULT_SESSIONS = { maxSize: 32, idleMs: 10 * 60_000 };
const SHARED = 'shared';

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
  private readonly sessions: ConnectionPool<SnowflakeConnectionLike>;
  private readonly now: () => Date;

  constructor(private readonly opts: SnowflakeWarehouseOptions) {
    this.now = opts.now ?? (() => new Date());
    this.sessions = new ConnectionPool({ ...(opts.sessions ?? DEFAULT_SESSIONS) });
    // At start-up, not at the first stream: a bad setting should stop the deploy, not a tenant's request.
    targetLagSql(opts.config.targetLag ?? DEFAULT_TARGET_LAG);
  }

  async createStream(stream: Stream): Promise<void> {
    const target = await this.target(stream.tenant);
    const statements = createStreamSql(stream, target.config);
    await this.runAll(target, stream.tenant, statements, { op: 'createStream', stream: stream.name });
  }

  async planEvolution(from: Stream, to: Stream): Promise<string[]> {
    return evolveStreamSql(from, to, (await this.target(to.tenant)).config);
  }

  async evolveStream(from: Stream, to: Stream): Promise<void> {
    const target = await this.target(to.tenant);
    const steps = evolveStreamPlan(from, to, target.config);
    const context = {
      op: 'evolveStream',
      tenant: to.tenant,
      account: accountLabel(target),
      stream: to.name,
      version: to.version,
    };
    const started = this.now().getTime();
    let current = '';
    try {
      // One session for the whole plan: the pause, the drain, the new pipe and the catch-up all run in
      // the account the plan was made for, even if the binding changes meanwhile.
      const result = await this.withSession(target, to.tenant, (conn) =>
        runEvolution(steps, {
          execute: (sql) => {
            current = sql;
            return execute(conn, sql);
          },
          logger: this.opts.logger.child(context),
          now: () => this.now().getTime(),
          sleep: this.opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
          drain: this.opts.drain ?? DEFAULT_DRAIN,
        }),
      );
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
    const target = await this.target(stream.tenant);
    const select = previewSql(stream, layer, limit, target.config);
    const count = countSql(stream, layer, target.config);
    const [totalRows, rows] = [
      await this.query(target, stream.tenant, count),
      await this.query(target, stream.tenant, select),
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
        if (stream.cdc) {
          record._op = row._OP;
          record._source_ts = iso(row._SOURCE_TS);
          record._source_position = row._SOURCE_POSITION;
          record._source = row._SOURCE ?? null;
        }
        return record;
      }),
    };
  }

  async rejections(stream: Stream, limit: number): Promise<{ total: number; rejections: Rejection[] }> {
    const target = await this.target(stream.tenant);
    const select = rejectionsSql(stream, limit, target.config);
    const count = rejectionsCountSql(stream, target.config);
    const [totalRows, rows] = [
      await this.query(target, stream.tenant, count),
      await this.query(target, stream.tenant, select),
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
    const target = await this.target(stream.tenant);
    const rows = await this.query(target, stream.tenant, batchRowsSql(stream, batchId, target.config));
    return Number(rows[0]?.N ?? 0);
  }

  async loadHistory(tenant: string, stream: string, since?: string): Promise<LoadHistoryEntry[]> {
    const from = since ?? new Date(this.now().getTime() - DAY_MS).toISOString();
    const target = await this.target(tenant);
    const rows = await this.query(target, tenant, copyHistorySql(tenant, stream, from, target.config));
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
    const target = await this.target(tenant);
    const rows = await this.query(target, tenant, batchesInFilesSql(tenant, stream, files, target.config));
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
    await this.sessions.close();
  }

  /** The tenant's own account when it has one, else the shared one. The name is checked before any lookup. */
  private async target(tenant: string): Promise<TenantTarget> {
    ident(tenant);
    const own = await this.opts.targetOf?.(tenant);
    return own ?? { version: SHARED, config: this.opts.config, connect: () => this.opts.connect(tenant) };
  }

  private withSession<T>(
    target: TenantTarget,
    tenant: string,
    fn: (conn: SnowflakeConnectionLike) => Promise<T>,
  ): Promise<T> {
    const open = () =>
      target.connect().catch((err: unknown) => {
        throw toDomainError(err);
      });
    return this.sessions.use(tenant, target.version, open, fn);
  }

  private query(target: TenantTarget, tenant: string, sql: string): Promise<Row[]> {
    return this.withSession(target, tenant, (conn) => execute(conn, sql));
  }

  /**
   * In order on one session, stopping at the first failure; every statement is idempotent, so a retry
   * resumes safely.
   */
  private async runAll(
    target: TenantTarget,
    tenant: string,
    statements: string[],
    context: Record<string, unknown>,
  ): Promise<void> {
    const started = this.now().getTime();
    const where = { ...context, tenant, account: accountLabel(target) };
    await this.withSession(target, tenant, async (conn) => {
      for (const [i, sql] of statements.entries()) {
        try {
          await execute(conn, sql);
        } catch (err) {
          this.opts.logger.warn(
            { ...where, statement: i, of: statements.length, err },
            'snowflake DDL failed',
          );
          throw err;
        }
      }
    });
    this.opts.logger.info(
      { ...where, statements: statements.length, ms: this.now().getTime() - started },
      'snowflake DDL applied',
    );
  }
}

async function execute(conn: SnowflakeConnectionLike, sql: string): Promise<Row[]> {
  try {
    return await conn.execute(sql);
  } catch (err) {
    throw toDomainError(err);
  }
}

/** For logs: which kind of account ran a tenant's statements (never the binding's settings). */
function accountLabel(target: TenantTarget): string {
  return target.version === SHARED ? SHARED : 'tenant';
}

/** A timestamp the queries select through TO_VARCHAR, as ISO-8601 in UTC; '' for NULL. */
function iso(value: unknown): string {
  const s = typeof value === 'string' ? value : '';
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}
