import { startServer, type ServerProcess } from '../../bench/server-process.js';
import { Tributary } from '../../client/index.js';
import { contractFetch } from './contract.js';
import { tempDir } from './temp-dir.js';

export const ADMIN_KEY = 'sdk-test-admin-key-0123456789abcdef';
export const TENANT = 'acme';
export const STREAM = 'events';

/** Records with a string id (the dedupe key), an integer and some padding. */
export const EVENTS_SCHEMA = {
  type: 'object',
  properties: { id: { type: 'string' }, n: { type: 'integer' }, pad: { type: 'string' } },
  required: ['id', 'n'],
};

export interface SdkServer {
  server: ServerProcess;
  dataDir: string;
  /** A tenant admin key: reads and setup. */
  adminKey: string;
  /** A producer key scoped to the stream. */
  producerKey: string;
  /** An SDK client with the tenant admin key; every answer it gets is checked against openapi.yaml. */
  trb: Tributary;
  /** Starts the server again on the same port and data dir (after `server.stop`). */
  restart(): Promise<ServerProcess>;
}

const SERVER_ENV = { TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.3' };

/** The real server in its own process with a tenant, a dedupe stream (acme/events) and a producer key. */
export async function startSdkServer(prefix: string): Promise<SdkServer> {
  const dataDir = await tempDir(prefix);
  const server = await startServer({ dataDir, adminKey: ADMIN_KEY, env: SERVER_ENV });
  const platform = new Tributary({ url: server.url, key: ADMIN_KEY, fetch: contractFetch });
  const tenant = await platform.tenants.create(TENANT);
  const trb = new Tributary({ url: server.url, key: tenant.key.secret, fetch: contractFetch });
  await trb.streams.create(TENANT, { name: STREAM, schema: EVENTS_SCHEMA, dedupe: { key: ['id'] } });
  const producer = await trb.keys.create(TENANT, { name: 'producer', role: 'producer', streams: [STREAM] });
  const fixture: SdkServer = {
    server,
    dataDir,
    adminKey: tenant.key.secret,
    producerKey: producer.secret,
    trb,
    restart: async () => {
      fixture.server = await startServer({
        dataDir,
        adminKey: ADMIN_KEY,
        port: server.port,
        env: SERVER_ENV,
      });
      return fixture.server;
    },
  };
  return fixture;
}

/** Every row of a layer (the tests keep streams under the API's 10,000-row preview). */
export async function readLayer(
  trb: Tributary,
  layer: 'raw' | 'deduped',
): Promise<{ total: number; ids: string[] }> {
  const page = await trb.records.list(TENANT, STREAM, { layer, limit: 10_000 });
  return { total: page.total, ids: page.records.map((r) => String(r.id)) };
}

/** Waits until every batch is loaded into the warehouse. */
export async function waitLoaded(trb: Tributary, batchIds: Iterable<string>): Promise<void> {
  for (const id of new Set(batchIds)) await trb.receipts.wait(TENANT, STREAM, id, { timeoutMs: 120_000 });
}

/** Ids that occur more than once, and expected ids that are missing. */
export function exactlyOnce(ids: string[], expected: string[]): { repeated: string[]; missing: string[] } {
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  return {
    repeated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
    missing: expected.filter((id) => !seen.has(id)),
  };
}
