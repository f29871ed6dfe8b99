import { statSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { HISTORY_STATEMENTS } from './ddl.js';

/**
 * One tenant's database file and its single connection. Every statement goes through `exclusive`,
 * a promise queue, so writes are serialized per tenant and each transaction sees only its own work.
 */
export class TenantDatabase {
  private tail: Promise<unknown> = Promise.resolve();
  /** DDL already applied by this process (by its text), so loads ensure their tables once. */
  readonly ensured = new Set<string>();

  private constructor(
    readonly file: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** The file's inode when it was opened. */
    private readonly ino: number | undefined,
  ) {}

  /**
   * Why the file on disk is no longer the one this instance holds open (removed, or replaced by
   * another file), or undefined while it still is. DuckDB itself would go on writing to the old inode.
   */
  fileChanged(): string | undefined {
    const st = statSync(this.file, { throwIfNoEntry: false });
    if (!st) return `file ${this.file} was removed while open`;
    if (this.ino !== undefined && st.ino !== this.ino) return `file ${this.file} was replaced while open`;
    return undefined;
  }

  static async open(
    file: string,
    limits: { memoryLimit?: string; threads?: number } = {},
  ): Promise<TenantDatabase> {
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
      const db = new TenantDatabase(
        file,
        instance,
        connection,
        statSync(file, { throwIfNoEntry: false })?.ino,
      );
      // Strings without an offset are read as UTC, whatever the host's zone.
      await connection.run(`SET TimeZone = 'UTC'`);
      // Layers order by (_batch_id, _index), never by insertion order; dropping it lets inserts run in parallel.
      await connection.run('SET preserve_insertion_order = false');
      // FSST and zstd analysis cost more CPU at every load and checkpoint than the rest of them (perf on
      // the bench: the largest part of the loader); dictionary, RLE and bit-packing still compress.
      await connection.run(`SET disabled_compression_methods = 'fsst,zstd'`);
      await inTransaction(connection, () => runAll(connection, HISTORY_STATEMENTS));
      return db;
    } catch (err) {
      instance.closeSync();
      throw err;
    }
  }

  exclusive<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.tail.then(() => fn(this.connection));
    this.tail = next.catch(() => undefined);
    return next;
  }

  transaction<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.exclusive((c) => inTransaction(c, () => fn(c)));
  }

  /** Waits for queued work, then releases the file. */
  async close(): Promise<void> {
    await this.tail;
    this.connection.closeSync();
    this.instance.closeSync();
  }
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
