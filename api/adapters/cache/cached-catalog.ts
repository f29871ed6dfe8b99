import type { ApiKey } from '../../domain/keys/types.js';
import type { Stream, StreamVersion } from '../../domain/streams/types.js';
import type { Tenant } from '../../domain/tenants/types.js';
import type { WarehouseBinding } from '../../domain/tenants/warehouse-binding.js';
import type { Catalog } from '../../ports.js';

interface Entry<T> {
  value: T | undefined;
  expires: number;
}

/**
 * Caches what the ingest hot path reads on every request (key lookups, stream specs), and the warehouse
 * binding every Snowflake call of a tenant looks up. Writes through
 * this process invalidate at once, so a revoked key fails on its next request here; other processes
 * (other Lambdas) see the change within `ttlMs`.
 */
export class CachedCatalog implements Catalog {
  private readonly keys = new Map<string, Entry<ApiKey>>();
  private readonly streams = new Map<string, Entry<Stream>>();
  private readonly bindings = new Map<string, Entry<WarehouseBinding>>();
  /** Bumped on every invalidation, so a read that raced a write never caches the stale value. */
  private epoch = 0;

  constructor(
    private readonly inner: Catalog,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  createTenant(tenant: Tenant): Promise<void> {
    return this.inner.createTenant(tenant);
  }
  getTenant(name: string): Promise<Tenant | undefined> {
    return this.inner.getTenant(name);
  }
  listTenants(): Promise<Tenant[]> {
    return this.inner.listTenants();
  }
  updateTenant(tenant: Tenant): Promise<void> {
    return this.inner.updateTenant(tenant);
  }

  getWarehouseBinding(tenant: string): Promise<WarehouseBinding | undefined> {
    return this.cached(this.bindings, tenant, () => this.inner.getWarehouseBinding(tenant));
  }
  async putWarehouseBinding(binding: WarehouseBinding): Promise<void> {
    this.invalidate(this.bindings, binding.tenant);
    try {
      await this.inner.putWarehouseBinding(binding);
    } finally {
      this.invalidate(this.bindings, binding.tenant);
    }
  }
  async deleteWarehouseBinding(tenant: string): Promise<boolean> {
    this.invalidate(this.bindings, tenant);
    try {
      return await this.inner.deleteWarehouseBinding(tenant);
    } finally {
      this.invalidate(this.bindings, tenant);
    }
  }

  async createKey(key: ApiKey): Promise<void> {
    this.invalidate(this.keys, key.id);
    await this.inner.createKey(key);
  }
  getKey(id: string): Promise<ApiKey | undefined> {
    return this.cached(this.keys, id, () => this.inner.getKey(id));
  }
  listKeys(tenant: string): Promise<ApiKey[]> {
    return this.inner.listKeys(tenant);
  }
  async revokeKey(tenant: string, id: string, at: string): Promise<boolean> {
    this.invalidate(this.keys, id);
    try {
      return await this.inner.revokeKey(tenant, id, at);
    } finally {
      this.invalidate(this.keys, id);
    }
  }

  async createStream(stream: Stream, first: StreamVersion): Promise<void> {
    this.invalidate(this.streams, `${stream.tenant}/${stream.name}`);
    await this.inner.createStream(stream, first);
  }
  getStream(tenant: string, name: string): Promise<Stream | undefined> {
    return this.cached(this.streams, `${tenant}/${name}`, () => this.inner.getStream(tenant, name));
  }
  listStreams(tenant: string): Promise<Stream[]> {
    return this.inner.listStreams(tenant);
  }
  async updateStream(stream: Stream, expectedRevision: number, version?: StreamVersion): Promise<void> {
    const id = `${stream.tenant}/${stream.name}`;
    this.invalidate(this.streams, id);
    try {
      await this.inner.updateStream(stream, expectedRevision, version);
    } finally {
      this.invalidate(this.streams, id);
    }
  }
  listVersions(tenant: string, name: string): Promise<StreamVersion[]> {
    return this.inner.listVersions(tenant, name);
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }

  private invalidate<T>(map: Map<string, Entry<T>>, id: string): void {
    this.epoch++;
    map.delete(id);
  }

  private async cached<T>(
    map: Map<string, Entry<T>>,
    id: string,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const now = this.now();
    const hit = map.get(id);
    if (hit && hit.expires > now) return hit.value;
    const epoch = this.epoch;
    const value = await load();
    if (epoch !== this.epoch) return value;
    if (map.size >= this.maxEntries) map.delete(map.keys().next().value!);
    map.set(id, { value, expires: now + this.ttlMs });
    return value;
  }
}
