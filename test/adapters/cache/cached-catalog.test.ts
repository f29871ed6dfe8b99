import { beforeAll, describe, expect, it } from 'vitest';
import { CachedCatalog } from '../../../api/adapters/cache/cached-catalog.js';
import { DynamoCatalog } from '../../../api/adapters/dynamodb/index.js';
import type { ApiKey } from '../../../api/domain/keys/types.js';
import type { Catalog } from '../../../api/ports.js';
import { useDynalite } from '../../support/dynalite.js';

const client = useDynalite('cache');
let inner: DynamoCatalog;

const key: ApiKey = {
  id: 'k1',
  tenant: 'acme',
  name: 'k',
  role: 'producer',
  streams: ['*'],
  pii: false,
  hash: 'ab'.repeat(32),
  createdAt: 'x',
};

beforeAll(async () => {
  inner = new DynamoCatalog(client(), 'cache');
  await inner.createKey(key);
});

/** Counts reads that reach the real catalog. */
function counting(c: Catalog): { catalog: Catalog; reads: () => number } {
  let n = 0;
  const catalog = new Proxy(c, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'getKey' || prop === 'getStream' || prop === 'getWarehouseBinding') {
        return (...args: unknown[]) => {
          n++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { catalog, reads: () => n };
}

describe('CachedCatalog', () => {
  it('serves repeated key lookups from memory and sees a revocation on the next lookup', async () => {
    const { catalog, reads } = counting(inner);
    const cached = new CachedCatalog(catalog, 60_000);
    for (let i = 0; i < 5; i++) expect((await cached.getKey('k1'))?.revokedAt).toBeUndefined();
    expect(reads()).toBe(1);
    expect(await cached.revokeKey('acme', 'k1', '2026-01-01')).toBe(true);
    expect((await cached.getKey('k1'))?.revokedAt).toBe('2026-01-01');
  });

  it('never caches a value read while a write raced it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stale = { ...key, id: 'k2' };
    const slow: Catalog = Object.assign(Object.create(inner) as Catalog, {
      getKey: async () => {
        await gate;
        return stale; // what the store said before the revocation landed
      },
      revokeKey: async () => true,
    });
    const cached = new CachedCatalog(slow, 60_000);
    const inFlight = cached.getKey('k2');
    await cached.revokeKey('acme', 'k2', 'now');
    release();
    expect(await inFlight).toBe(stale);
    // The racing read was not kept: the next lookup goes back to the store.
    const fresh: Catalog = Object.assign(Object.create(slow) as Catalog, {
      getKey: async () => ({ ...stale, revokedAt: 'now' }),
    });
    (cached as unknown as { inner: Catalog }).inner = fresh;
    expect((await cached.getKey('k2'))?.revokedAt).toBe('now');
  });

  it('expires entries after the TTL (writes from other processes)', async () => {
    let now = 0;
    const { catalog, reads } = counting(inner);
    const cached = new CachedCatalog(catalog, 1000, () => now);
    await cached.getKey('k1');
    now = 999;
    await cached.getKey('k1');
    expect(reads()).toBe(1);
    now = 1001;
    await cached.getKey('k1');
    expect(reads()).toBe(2);
  });

  it('caches a tenant’s warehouse binding (its absence too) and drops it when it is written here', async () => {
    const { catalog, reads } = counting(inner);
    const cached = new CachedCatalog(catalog, 60_000);
    expect(await cached.getWarehouseBinding('acme')).toBeUndefined();
    expect(await cached.getWarehouseBinding('acme')).toBeUndefined();
    expect(reads()).toBe(1);
    const binding = {
      tenant: 'acme',
      account: 'acme-prod',
      user: 'U',
      role: 'R',
      warehouse: 'W',
      database: 'D',
      privateKeySecretArn:
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:tributary/tenants/acme-AbCdEf',
      storageIntegration: 'I',
      currentAccount: 'XY1',
      boundAt: 'now',
    };
    await cached.putWarehouseBinding(binding);
    expect(await cached.getWarehouseBinding('acme')).toEqual(binding);
    expect(await cached.deleteWarehouseBinding('acme')).toBe(true);
    expect(await cached.getWarehouseBinding('acme')).toBeUndefined();
    expect(reads()).toBe(3);
  });
});
