import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { composeLocal, type LocalStack } from '../../api/compose/local.js';
import { parseConfig } from '../../api/config.js';
import { withContract } from '../support/contract.js';
import { FaultyJournalFs } from '../support/faulty-journal-fs.js';
import { silentLogger } from '../support/logger.js';
import { ADMIN_KEY } from '../support/stack.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

/**
 * The local idempotency store's limits and faults through the HTTP API: a claim the journal cannot
 * make durable answers 503 and stores nothing; past TRIBUTARY_IDEMPOTENCY_MAX_KEYS a new key answers
 * 429, while keys already held still replay and requests without a key are unaffected.
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
  it('a claim the journal cannot fdatasync answers 503 with Retry-After and stores nothing', async () => {
    faults.syncFault = 'EIO';
    const res = await send('f1', 'fault-1');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'dependency_unavailable' });
    expect(text).not.toMatch(/EIO|\bat \w+ \(/);
    // Requests without a key never touch the journal.
    expect((await send('plain')).status).toBe(200);
    faults.syncFault = undefined;
    // The journal is rewritten at the next claim once a second has passed since the failure.
    let retry = await send('f1', 'fault-1');
    for (let i = 0; i < 50 && retry.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      retry = await send('f1', 'fault-1');
    }
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(faults.ops).toContain('rename:journal.log.tmp');
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
