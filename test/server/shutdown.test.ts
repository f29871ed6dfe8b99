import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../api/adapters/duckdb/index.js';
import type { Stream } from '../../api/domain/streams/types.js';
import { startServer, type ServerProcess } from '../../bench/server-process.js';
import { contractFetch } from '../support/contract.js';
import { silentLogger } from '../support/logger.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

const ADMIN = 'shutdown-test-admin-key-0123456789abcdef';
let server: ServerProcess | undefined;
let dir = '';

afterAll(async () => {
  await server?.stop('SIGKILL');
  if (dir) await removeDir(dir);
});

describe('SIGTERM', () => {
  it('stops accepting, flushes every buffer, loads everything acknowledged and exits 0', async () => {
    dir = await tempDir('tributary-shutdown-');
    // A 60 s buffering interval: without the drain, nothing would reach the lake before exit.
    server = await startServer({
      dataDir: dir,
      adminKey: ADMIN,
      env: { TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '60' },
    });
    const call = async (path: string, key: string, body: unknown) =>
      contractFetch(`${server!.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const tenant = (await (await call('/v1/tenants', ADMIN, { name: 'acme' })).json()) as {
      key: { secret: string };
    };
    const key = tenant.key.secret;
    const created = await call('/v1/tenants/acme/streams', key, {
      name: 'events',
      schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    });
    expect(created.status).toBe(201);
    const stream = (await created.json()) as Stream;
    let acknowledged = 0;
    for (let b = 0; b < 20; b++) {
      const res = await call(
        '/v1/tenants/acme/streams/events/records',
        key,
        Array.from({ length: 50 }, (_, i) => ({ id: `${b}-${i}` })),
      );
      expect(res.status).toBe(200);
      acknowledged += ((await res.json()) as { accepted: number }).accepted;
    }
    const started = Date.now();
    const exit = await server.stop('SIGTERM');
    expect(exit.code, server.output()).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();

    const lake = await readdir(join(dir, 'lake', 'raw', 'tenant=acme', 'stream=events'), { recursive: true });
    expect(lake.some((f) => f.endsWith('.ndjson'))).toBe(true);
    const warehouse = new DuckDbWarehouse({ dir: join(dir, 'warehouse'), logger: silentLogger });
    try {
      const raw = await warehouse.preview({ ...stream, tenant: 'acme' }, 'raw', 1);
      expect(raw.total).toBe(acknowledged);
    } finally {
      await warehouse.close();
    }
  });
});
