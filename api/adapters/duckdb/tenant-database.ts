import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { HISTORY_STATEMENTS } from './ddl.js';

export interface TenantDatabaseLimits {
  /** e.g. '64MB'; DuckDB's default is 80% of the host's memory. */
  memoryLimit?: string;
  threads?: number;
  /**
   * Share of the memory limit that table blocks DuckDB keeps pinned may reach before the database is
   * closed and reopened (default 0.25). See `recycleIfBloated`.
   */
  recycleShare?: number;
  /** Least time between two checks of the pinned memory (default 1 s; the check is one small query). */
  checkEveryMs?: number;
  /** Told each time the database is reopened to release memory, with the reason. */
  onRecycle?(reason: string): void;
}

/**
 * One tenant's database file and its single connection. Every statement goes through `exclusive`,
 * a promise queue, so writes are serialized per tenant and each transaction sees only its own work.
 */
export class TenantDatabase {
  private tail: Promise<unknown> = Promise.resolve();
  /** DDL already applied by this process (by its text), so loads ensure their tables once. */
  readonly ensured = new Set<string>();
  private lastCheck = 0;
  private readonly recycleAtBytes: number | undefined;

  /** The file's inode when it was opened. */
  private ino: number | undefined;

  private constructor(
    readonly file: string,
    private readonly limits: TenantDatabaseLimits,
    private instance: DuckDBInstance,
    private connection: DuckDBConnection,
  ) {
    this.ino = inodeOf(file);
    const limit = limits.memoryLimit ? parseBytes(limits.memoryLimit) : undefined;
    this.recycleAtBytes = limit ? Math.floor(limit * (limits.recycleShare ?? 0.25)) : undefined;
  }

  /**
   * Why the file on disk is no longer the one this instance holds open (removed, or replaced by
   * another file), or undefined while it still is. DuckDB itself would go on writing to the old inode.
   */
  async fileChanged(): Promise<string | undefined> {
    // Asked before every statement: off the event loop, like the statements themselves.
    const st = await stat(this.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!st) return `file ${this.file} was removed while open`;
    if (this.ino !== undefined && st.ino !== this.ino) return `file ${this.file} was replaced while open`;
    return undefined;
  }

  static async open(file: string, limits: TenantDatabaseLimits = {}): Promise<TenantDatabase> {
    const { instance, connection } = await connect(file, limits);
    return new TenantDatabase(file, limits, instance, connection);
  }

  exclusive<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.tail.then(async () => {
      try {
        return await fn(this.connection);
      } catch (err) {
        // An allocation failure leaves the pinned memory that caused it; only a reopen releases it,
        // so the caller's retry (the loader backs off) finds the memory back.
        if (isOutOfMemory(err)) await this.recycle('out of memory').catch(() => undefined);
        throw err;
      } finally {
        await this.recycleIfBloated().catch(() => undefined);
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  transaction<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.exclusive((c) => inTransaction(c, () => fn(c)));
  }

  /**
   * DuckDB keeps blocks of the table it appended to and checkpointed pinned for as long as the
   * database is open: about 2.7 MB per million rows of a typical stream, never evicted. The JSON
   * reader needs a 32 MB buffer on top, so under a 64 MB limit every load failed with "Out of Memory"
   * after about 8 million rows (reproduced directly against DuckDB, without the rest of Tributary).
   * A reopen releases it all (checkpoint on close, then only metadata is read back), so the database
   * is reopened whenever those blocks pass a share of the limit: memory stays flat however large the
   * tables grow, for one reopen every few million rows.
   */
  private async recycleIfBloated(): Promise<void> {
    if (this.recycleAtBytes === undefined) return;
    const now = Date.now();
    if (now - this.lastCheck < (this.limits.checkEveryMs ?? 1_000)) return;
    this.lastCheck = now;
    const reader = await this.connection.runAndReadAll(
      `SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory() WHERE tag = 'BASE_TABLE'`,
    );
    const pinned = Number(reader.getRows()[0]?.[0] ?? 0);
    if (pinned > this.recycleAtBytes)
      await this.recycle(`${Math.round(pinned / 2 ** 20)} MiB of table blocks held`);
  }

  /** Closes and reopens the database file. Runs inside the queue, so no statement sees it half done. */
  private async recycle(reason: string): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
    const { instance, connection } = await connect(this.file, this.limits);
    this.instance = instance;
    this.connection = connection;
    this.ino = inodeOf(this.file);
    this.limits.onRecycle?.(reason);
  }

  /** Waits for queued work, then releases the file. */
  async close(): Promise<void> {
    await this.tail;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

async function connect(
  file: string,
  limits: TenantDatabaseLimits,
): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const options: Record<string, string> = {};
  if (limits.memoryLimit) options.memory_limit = limits.memoryLimit;
  if (limits.threads) options.threads = String(limits.threads);
  // A checkpoint blocks loads while it runs, so freshness wants small ones. With vacuum off (below) a
  // checkpoint's cost is proportional to the WAL it folds in, so 32 MB ones cost no more in total than
  // rare 256 MB ones, which stalled loading for seconds.
  options.checkpoint_threshold = '32MB';
  // A group load of 122,880 rows or more is written straight to the file as full row groups plus a
  // partial tail. Vacuum would merge those tails with their neighbours at every checkpoint, rewriting
  // row groups nothing changed in (about as costly as the load itself). Layers are append-only, so
  // there are no deletes to reclaim; a partial row group per large load is the price.
  options.max_vacuum_tasks = '0';
  const instance = await DuckDBInstance.create(file, options);
  try {
    const connection = await instance.connect();
    // Strings without an offset are read as UTC, whatever the host's zone.
    await connection.run(`SET TimeZone = 'UTC'`);
    // Layers order by (_batch_id, _index), never by insertion order; dropping it lets inserts run in parallel.
    await connection.run('SET preserve_insertion_order = false');
    // FSST and zstd analysis cost more CPU at every load and checkpoint than the rest of them (perf on
    // the bench: the largest part of the loader); dictionary, RLE and bit-packing still compress.
    await connection.run(`SET disabled_compression_methods = 'fsst,zstd'`);
    await inTransaction(connection, () => runAll(connection, HISTORY_STATEMENTS));
    return { instance, connection };
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}

function inodeOf(file: string): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.ino;
}

export function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && /^Out of Memory Error/i.test(err.message);
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** '64MB', '1.5GiB', '512KB' → bytes, as DuckDB reads its memory_limit; undefined when unreadable. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[(m[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

export async function inTransaction<T>(connection: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await fn();
    await connection.run('COMMIT');
    return result;
  } catch (err) {
    // A failed statement may already have aborted the transaction; the original error is what matters.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export async function runAll(connection: DuckDBConnection, statements: readonly string[]): Promise<void> {
  for (const sql of statements) await connection.run(sql);
}
