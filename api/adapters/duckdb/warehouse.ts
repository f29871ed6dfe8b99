import type { Logger } from 'pino';
import type { Rejection } from '../../domain/records/types.js';
import type { Layer, Stream } from '../../domain/streams/types.js';
import type { LakeObject, LoadedObject, LoadTarget, PreviewResult, Warehouse } from '../../ports.js';
import { createStatements, planEvolution } from './ddl.js';
import { preview, rejections } from './layer-reads.js';
import { loadedAt, loadedKeys, loadFailures } from './load-history.js';
import { ensureKey, loadObjects } from './load.js';
import { salvageObject } from './salvage-load.js';
import { inTransaction, runAll } from './tenant-database.js';
import {
  TenantDatabases,
  type DatabaseCreatedListener,
  type TenantDatabasesOptions,
} from './tenant-databases.js';

export type DuckDbWarehouseOptions = TenantDatabasesOptions;
export type { DatabaseCreatedListener };

/**
 * The local warehouse: raw, deduped and entity layers per stream in a DuckDB file per tenant, loaded
 * Snowpipe-style from lake objects with exactly-once bookkeeping in `_tributary.load_history`.
 */
export class DuckDbWarehouse implements Warehouse, LoadTarget {
  private readonly databases: TenantDatabases;
  private readonly logger: Logger;

  constructor(opts: DuckDbWarehouseOptions) {
    this.logger = opts.logger.child({ component: 'duckdb' });
    this.databases = new TenantDatabases({ ...opts, logger: this.logger });
  }

  /**
   * Called whenever a tenant's database file is created, including again after it was removed (or a
   * corrupt one was): its load history starts empty, so the lake's objects can be loaded anew.
   */
  onDatabaseCreated(listener: DatabaseCreatedListener): void {
    this.databases.onCreated(listener);
  }

  async createStream(stream: Stream): Promise<void> {
    const statements = createStatements(stream);
    await this.databases.run(stream.tenant, `create tables for ${stream.name}`, async (c, db) => {
      await inTransaction(c, () => runAll(c, statements));
      db.ensured.add(ensureKey(stream));
    });
  }

  planEvolution(from: Stream, to: Stream): string[] {
    return planEvolution(from, to);
  }

  async evolveStream(from: Stream, to: Stream): Promise<void> {
    // Creating `from` first (all IF NOT EXISTS) lets an evolution run even where the tables were never made.
    const statements = [...createStatements(from), ...planEvolution(from, to)];
    await this.databases.run(to.tenant, `evolve ${to.name} to version ${to.version}`, (c) =>
      inTransaction(c, () => runAll(c, statements)),
    );
    this.logger.info({ tenant: to.tenant, stream: to.name, version: to.version }, 'evolved stream tables');
  }

  /** One object; see loadObjects. */
  async loadObject(obj: LakeObject, stream: Stream): Promise<{ rows: number; alreadyLoaded: boolean }> {
    const [{ rows, alreadyLoaded }] = await this.loadObjects([obj], stream);
    return { rows, alreadyLoaded };
  }

  loadObjects(objs: LakeObject[], stream: Stream): Promise<LoadedObject[]> {
    return loadObjects(this.databases, this.logger, objs, stream);
  }

  salvageObject(obj: LakeObject, stream: Stream): Promise<LoadedObject> {
    return salvageObject(this.databases, this.logger, obj, stream);
  }

  loadedKeys(tenant: string): Promise<Set<string>> {
    return loadedKeys(this.databases, tenant);
  }

  loadedAt(tenant: string, keys: string[]): Promise<Map<string, string>> {
    return loadedAt(this.databases, tenant, keys);
  }

  loadFailures(tenant: string, keys: string[]): Promise<Map<string, Record<string, number>>> {
    return loadFailures(this.databases, tenant, keys);
  }

  preview(stream: Stream, layer: Layer, limit: number): Promise<PreviewResult> {
    return preview(this.databases, stream, layer, limit);
  }

  rejections(stream: Stream, limit: number): Promise<{ total: number; rejections: Rejection[] }> {
    return rejections(this.databases, stream, limit);
  }

  close(): Promise<void> {
    return this.databases.close();
  }
}
