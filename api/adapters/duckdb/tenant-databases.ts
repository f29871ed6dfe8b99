import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { DependencyUnavailableError } from '../../domain/errors.js';
import { invalidatesDatabase, translate, translateFailure } from './errors.js';
import { checkIdentifier } from './identifiers.js';
import { TenantDatabase } from './tenant-database.js';

export interface TenantDatabasesOptions {
  /** Holds one `<tenant>.duckdb` file per tenant. */
  dir: string;
  logger: Logger;
  /** Per tenant database, e.g. '256MB'; DuckDB's default is 80% of the host's memory. */
  memoryLimit?: string;
  /** Threads per tenant database; DuckDB's default is every core. */
  threads?: number;
}

/** Told when a tenant database file is created, so whatever the lake holds for the tenant can be loaded again. */
export type DatabaseCreatedListener = (tenant: string) => void;

/** The open tenant databases of one warehouse directory, each opened on first use. */
export class TenantDatabases {
  /** Where the tenant database files live; scratch files go beneath it too. */
  readonly dir: string;
  private readonly databases = new Map<string, Promise<TenantDatabase>>();
  private readonly logger: Logger;
  private closed = false;
  private readonly createdListeners: DatabaseCreatedListener[] = [];

  constructor(private readonly opts: TenantDatabasesOptions) {
    this.dir = opts.dir;
    this.logger = opts.logger;
  }

  /**
   * Called whenever a tenant's database file is created, including again after it was removed (or a
   * corrupt one was): its load history starts empty, so the lake's objects can be loaded anew.
   */
  onCreated(listener: DatabaseCreatedListener): void {
    this.createdListeners.push(listener);
  }

  /**
   * Runs `fn` on the tenant's connection, alone. Every failure comes out as a named domain error
   * (LoadDataError, ResourceExhaustedError, DependencyUnavailableError) keeping its cause. A database
   * that a fatal error invalidated, or whose file was removed or replaced under it, is let go, so the
   * next call opens the file afresh instead of failing forever on a dead instance.
   */
  async run<T>(
    tenant: string,
    what: string,
    fn: (c: DuckDBConnection, db: TenantDatabase) => Promise<T>,
  ): Promise<T> {
    const db = await this.database(tenant);
    try {
      return await db.exclusive(async (c) => {
        const changed = await db.fileChanged();
        if (changed)
          throw new DependencyUnavailableError(`The tenant database ${changed}; it will be reopened`);
        return fn(c, db);
      });
    } catch (err) {
      if (invalidatesDatabase(err) || (await db.fileChanged().catch(() => undefined)))
        this.forget(tenant, db);
      throw translateFailure(what, err);
    }
  }

  /** Whether the tenant has a database; reads check it first so that they never create a file. */
  exists(tenant: string): boolean {
    return this.databases.has(tenant) || existsSync(this.fileOf(tenant));
  }

  async close(): Promise<void> {
    this.closed = true;
    const opened = [...this.databases.values()];
    this.databases.clear();
    for (const pending of opened) {
      const db = await pending.catch(() => undefined);
      await db?.close();
    }
  }

  private forget(tenant: string, db: TenantDatabase): void {
    const cached = this.databases.get(tenant);
    if (!cached) return;
    void cached.then(
      (current) => {
        if (current !== db) return;
        if (this.databases.get(tenant) === cached) this.databases.delete(tenant);
        this.logger.error(
          { tenant, file: db.file },
          'letting go of a tenant database that cannot be used; it will be reopened',
        );
        return db
          .close()
          .catch((err: unknown) =>
            this.logger.warn({ err, tenant }, 'closing a dead tenant database failed'),
          );
      },
      () => undefined,
    );
  }

  private fileOf(tenant: string): string {
    return path.join(this.dir, `${checkIdentifier(tenant, 'tenant')}.duckdb`);
  }

  /** The tenant's database, opened on first use; reads check `exists` first so they never create a file. */
  private database(tenant: string): Promise<TenantDatabase> {
    const file = this.fileOf(tenant);
    if (this.closed) return Promise.reject(new DependencyUnavailableError('The DuckDB warehouse is closed'));
    let db = this.databases.get(tenant);
    if (!db) {
      db = translate(`open ${file}`, async () => {
        await mkdir(this.dir, { recursive: true });
        const created = !existsSync(file);
        const opened = await TenantDatabase.open(file, {
          memoryLimit: this.opts.memoryLimit,
          threads: this.opts.threads,
          onRecycle: (reason) =>
            this.logger.info({ tenant, file, reason }, 'reopened tenant database to release memory'),
        });
        this.logger.info({ tenant, file, created }, 'opened tenant database');
        if (created) for (const listener of this.createdListeners) listener(tenant);
        return opened;
      });
      this.databases.set(tenant, db);
      // A failed open is not cached: the next call tries again.
      db.catch((err: unknown) => {
        this.databases.delete(tenant);
        this.logger.error({ err, tenant, file }, 'could not open the tenant database');
      });
    }
    return db;
  }
}
