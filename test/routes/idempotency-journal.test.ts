import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../api/app.js';
import { composeLocal, type LocalStack } from '../../api/compose/local.js';
import { parseConfig } from '../../api/config.js';
import { withContract } from '../support/contract.js';
import { FaultyJournalFs } from '../support/faulty-journal-fs.js';
import { silentLogger } from '../support/logger.js';
import { ADMIN_KEY } from '../support/stack.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

/**
 * The local idempotency store's limits and faults through the HTTP API: a journal that cannot
 * fdatasync holds no request up (claims are durable in the batches' log entries); past
 * TRIBUTARY_IDEMPOTENCY_MAX_KEYS a new key answers 429, while keys already held still replay and
 * requests without a key are unaffected.
 */
let dir: string;
let stack: LocalStack;
let app: ReturnType<typeof createApp>;
let producer: string;
let admin: string;
const faults = new FaultyJournalFs();

async function call(method: string, path: string, key: string, body?: unknown, headers = {}) {
  return app.request(path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const send = (id: string, idempotencyKey?: string) =>
  call(
    'POST',
    '/v1/tenants/acme/streams/events/records',
    producer,
    [{ id }],
    idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  );

async function rawIds(): Promise<string[]> {
  await stack.services.delivery.drain();
  const res = await call('GET', '/v1/tenants/acme/streams/events/records?layer=raw&limit=1000', admin);
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: { id: string }[] }).records.map((r) => r.id).sort();
}

beforeAll(async () => {
  dir = await tempDir('tributary-idem-routes-');
  const config = parseConfig({ TRIBUTARY_DATA_DIR: dir, TRIBUTARY_IDEMPOTENCY_MAX_KEYS: '4' });
  stack = await composeLocal(config, silentLogger, ADMIN_KEY, { journalFs: faults });
  app = withContract(createApp(stack.services));
  const tenant = await call('POST', '/v1/tenants', ADMIN_KEY, { name: 'acme' });
  admin = ((await tenant.json()) as { key: { secret: string } }).key.secret;
  const key = await call('POST', '/v1/tenants/acme/keys', admin, {
    name: 'p',
    role: 'producer',
    streams: ['*'],
  });
  producer = ((await key.json()) as { secret: string }).secret;
  const stream = await call('POST', '/v1/tenants/acme/streams', admin, {
    name: 'events',
    schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  });
  expect(stream.status).toBe(201);
});
afterAll(async () => {
  faults.syncFault = undefined;
  await stack?.close();
  await removeDir(dir);
});

describe('the local idempotency store through the API', () => {
  it('a journal that cannot fdatasync holds no keyed request up: the claim is durable in the log', async () => {
    faults.syncFault = 'EIO';
    const first = await send('f1', 'fault-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await send('f1', 'fault-1');
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // The claim went to the journal unsynced; the batch's log entry carries it (and was fdatasynced).
    await vi.waitFor(() => expect(faults.ops).toContain('writev:journal.log'));
    expect(faults.ops).not.toContain('datasync:journal.log');
    expect((await send('plain')).status).toBe(200);
    faults.syncFault = undefined;
    expect(await rawIds()).toEqual(['f1', 'plain']);
  });

  it('past the key limit a new key answers 429; held keys replay and unkeyed requests pass', async () => {
    // fault-1 holds one of the four keys.
    for (const k of ['cap-1', 'cap-2', 'cap-3']) expect((await send(k, k)).status).toBe(200);
    const refused = await send('cap-4', 'cap-4');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const problem = (await refused.json()) as { code: string; detail: string };
    expect(problem.code).toBe('overloaded');
    expect(problem.detail).toContain('limit of 4 Idempotency-Keys');
    const replay = await send('cap-1', 'cap-1');
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await send('cap-plain')).status).toBe(200);
    expect(await rawIds()).toEqual(['cap-1', 'cap-2', 'cap-3', 'cap-plain', 'f1', 'plain']);
  });
});
