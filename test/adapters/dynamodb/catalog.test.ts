import { beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoCatalog,
  DynamoMetricsStore,
  createDynamoClient,
  ensureTable,
} from '../../../api/adapters/dynamodb/index.js';
import {
  AlreadyExistsError,
  ConcurrentModificationError,
  DependencyUnavailableError,
} from '../../../api/domain/errors.js';
import type { ApiKey } from '../../../api/domain/keys/types.js';
import type { Stream } from '../../../api/domain/streams/types.js';
import { useDynalite } from '../../support/dynalite.js';
import { makeStream } from '../../support/stream.js';

const client = useDynalite('cat');
let catalog: DynamoCatalog;

const stream = (over: Partial<Stream> = {}): Stream => makeStream({ name: 'orders', ...over });

const key = (id: string, tenant = 'acme'): ApiKey => ({
  id,
  tenant,
  name: id,
  role: 'producer',
  streams: ['*'],
  pii: false,
  hash: 'ab'.repeat(32),
  createdAt: `2026-01-01T00:00:0${id.length % 10}.000Z`,
});

beforeAll(async () => {
  await ensureTable(client(), 'cat'); // idempotent: useDynalite created it already
  catalog = new DynamoCatalog(client(), 'cat');
});

describe('DynamoCatalog against dynalite', () => {
  it('creates tenants once and lists them', async () => {
    await catalog.createTenant({ name: 'acme', createdAt: 'now' });
    await catalog.createTenant({ name: 'globex', createdAt: 'now' });
    await expect(catalog.createTenant({ name: 'acme', createdAt: 'later' })).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
    expect((await catalog.listTenants()).map((t) => t.name).sort()).toEqual(['acme', 'globex']);
    expect((await catalog.getTenant('acme'))?.createdAt).toBe('now');
    expect(await catalog.getTenant('nope')).toBeUndefined();
  });

  it('stores keys, lists them per tenant and revokes once', async () => {
    await catalog.createKey(key('k1'));
    await catalog.createKey(key('k22'));
    await catalog.createKey(key('k3', 'globex'));
    await expect(catalog.createKey(key('k1'))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await catalog.listKeys('acme')).map((k) => k.id).sort()).toEqual(['k1', 'k22']);
    expect(await catalog.revokeKey('globex', 'k1', 'x')).toBe(false); // another tenant's key
    expect(await catalog.revokeKey('acme', 'k1', '2026-02-02')).toBe(true);
    expect(await catalog.revokeKey('acme', 'k1', '2026-02-03')).toBe(false);
    expect((await catalog.getKey('k1'))?.revokedAt).toBe('2026-02-02');
    expect(await catalog.getKey('missing')).toBeUndefined();
  });

  it('creates streams uniquely and updates them with optimistic versioning', async () => {
    const s = stream();
    await catalog.createStream(s, { version: 1, schema: s.schema, createdAt: s.createdAt, changes: [] });
    await expect(
      catalog.createStream(s, { version: 1, schema: s.schema, createdAt: s.createdAt, changes: [] }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    const v2 = { ...s, version: 2, revision: 2 };
    await catalog.updateStream(v2, 1, {
      version: 2,
      schema: s.schema,
      createdAt: 'later',
      changes: [{ field: 'x', change: 'added' }],
    });
    // A writer that read revision 1 loses.
    await expect(catalog.updateStream({ ...s, revision: 2, description: 'stale' }, 1)).rejects.toBeInstanceOf(
      ConcurrentModificationError,
    );
    // Two evolutions racing for version 2: the version item is claimed once.
    await expect(
      catalog.updateStream({ ...v2, revision: 3 }, 2, {
        version: 2,
        schema: s.schema,
        createdAt: 'x',
        changes: [],
      }),
    ).rejects.toBeInstanceOf(ConcurrentModificationError);
    expect((await catalog.getStream('acme', 'orders'))?.version).toBe(2);
    expect((await catalog.listVersions('acme', 'orders')).map((v) => v.version)).toEqual([1, 2]);
    expect((await catalog.listStreams('acme')).map((x) => x.name)).toEqual(['orders']);
    expect(await catalog.listStreams('globex')).toEqual([]);
  });

  it('keeps one warehouse binding per tenant on its partition, apart from its streams', async () => {
    const binding = {
      tenant: 'acme',
      account: 'acme-prod',
      user: 'TRIBUTARY',
      role: 'TRIBUTARY_LOADER',
      warehouse: 'LOAD_WH',
      database: 'ACME',
      privateKeySecretArn:
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:tributary/tenants/acme-AbCdEf',
      storageIntegration: 'TRIBUTARY_LAKE',
      currentAccount: 'XY12345',
      boundAt: '2026-03-01T00:00:00.000Z',
    };
    expect(await catalog.getWarehouseBinding('acme')).toBeUndefined();
    await catalog.putWarehouseBinding(binding);
    await catalog.putWarehouseBinding({ ...binding, role: 'OTHER_ROLE' });
    expect(await catalog.getWarehouseBinding('acme')).toEqual({ ...binding, role: 'OTHER_ROLE' });
    expect(await catalog.getWarehouseBinding('globex')).toBeUndefined();
    expect((await catalog.listStreams('acme')).map((x) => x.name)).toEqual(['orders']);
    expect(await catalog.deleteWarehouseBinding('acme')).toBe(true);
    expect(await catalog.deleteWarehouseBinding('acme')).toBe(false);
    expect(await catalog.getWarehouseBinding('acme')).toBeUndefined();
  });

  it('adds per-minute counters atomically', async () => {
    const store = new DynamoMetricsStore(client(), 'cat');
    const zero = {
      received: 0,
      accepted: 0,
      rejected: 0,
      duplicates: 0,
      deliveredObjects: 0,
      deliveredBytes: 0,
      loadedRows: 0,
      loadErrors: 0,
      loadFailed: 0,
      cdcCreates: 0,
      cdcUpdates: 0,
      cdcDeletes: 0,
      cdcReads: 0,
      cdcTombstones: 0,
    };
    await store.addMinutes('acme', 'orders', [{ ...zero, minute: 60_000, received: 5, accepted: 4 }]);
    await store.addMinutes('acme', 'orders', [
      { ...zero, minute: 60_000, received: 2, rejected: 1, cdcDeletes: 3 },
      { ...zero, minute: 120_000, loadedRows: 9 },
    ]);
    const points = await store.getMinutes('acme', 'orders', 0, 180_000);
    expect(points).toEqual([
      { ...zero, minute: 60_000, received: 7, accepted: 4, rejected: 1, cdcDeletes: 3 },
      { ...zero, minute: 120_000, loadedRows: 9 },
    ]);
  });

  it('turns an unreachable DynamoDB into DependencyUnavailableError with the cause', async () => {
    const dead = createDynamoClient({ endpoint: 'http://127.0.0.1:9' });
    const err = await new DynamoCatalog(dead, 'cat').getTenant('acme').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).cause).toBeDefined();
    dead.destroy();
  });
});
