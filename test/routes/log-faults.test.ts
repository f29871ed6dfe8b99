import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { composeLocal, type LocalStack } from '../../api/compose/local.js';
import { parseConfig } from '../../api/config.js';
import { withContract } from '../support/contract.js';
import { FaultyLogFs, type FsFault } from '../support/faulty-log-fs.js';
import { ADMIN_KEY } from '../support/stack.js';
import { silentLogger } from '../support/logger.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

/**
 * File-system faults under the durable log, through the HTTP API on the embedded stack: a failed
 * write or fdatasync answers 503 with Retry-After and acknowledges nothing; the log recovers when
 * the fault clears; and a restart replays exactly what was acknowledged, never the failed batch.
 */
interface Case {
  name: string;
  on: 'append' | 'sync';
  fault: FsFault;
  /** The cut-back after the failure fails too: 'truncate' (the torn mark works) or 'both'. */
  cutFails?: 'truncate' | 'both';
  /** The process stops while the failed write is still not cut back. */
  crash?: boolean;
}

const cases: Case[] = [
  { name: 'append_enospc', on: 'append', fault: 'ENOSPC' },
  { name: 'append_eio', on: 'append', fault: 'EIO' },
  { name: 'sync_enospc', on: 'sync', fault: 'ENOSPC' },
  { name: 'sync_eio', on: 'sync', fault: 'EIO' },
  { name: 'sync_eio_notrunc', on: 'sync', fault: 'EIO', cutFails: 'truncate' },
  { name: 'append_enospc_nocut', on: 'append', fault: 'ENOSPC', cutFails: 'both' },
  { name: 'sync_eio_nocut', on: 'sync', fault: 'EIO', cutFails: 'both' },
  { name: 'append_enospc_crash', on: 'append', fault: 'ENOSPC', cutFails: 'both', crash: true },
];

let dir: string;
let stack: LocalStack;
let app: ReturnType<typeof createApp>;
let producer: string;
let admin: string;
const faults = new FaultyLogFs();

async function start(withFaults: boolean): Promise<void> {
  const config = parseConfig({ TRIBUTARY_DATA_DIR: dir });
  stack = await composeLocal(config, silentLogger, ADMIN_KEY, withFaults ? { logFs: faults } : {});
  app = withContract(createApp(stack.services));
}

async function call(method: string, path: string, key: string, body?: unknown, headers = {}) {
  return app.request(path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const send = (stream: string, id: string, headers: Record<string, string> = {}) =>
  call('POST', `/v1/tenants/acme/streams/${stream}/records`, producer, [{ id }], headers);

async function rawIds(stream: string): Promise<string[]> {
  const res = await call('GET', `/v1/tenants/acme/streams/${stream}/records?layer=raw&limit=1000`, admin);
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: { id: string }[] }).records.map((r) => r.id).sort();
}

async function expect503(res: Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('1');
  const text = await res.text();
  expect(JSON.parse(text)).toMatchObject({ code: 'dependency_unavailable' });
  expect(text).not.toMatch(/ENOSPC|EIO|\bat \w+ \(/);
}

beforeAll(async () => {
  dir = await tempDir('tributary-logfaults-');
  await start(true);
  const tenant = await call('POST', '/v1/tenants', ADMIN_KEY, { name: 'acme' });
  admin = ((await tenant.json()) as { key: { secret: string } }).key.secret;
  const key = await call('POST', '/v1/tenants/acme/keys', admin, {
    name: 'p',
    role: 'producer',
    streams: ['*'],
  });
  producer = ((await key.json()) as { secret: string }).secret;
  for (const c of cases) {
    // Long buffering: nothing is published before the restart, so the restart replays it all from the log.
    const res = await call('POST', '/v1/tenants/acme/streams', admin, {
      name: c.name,
      schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      buffering: { intervalSeconds: 900, sizeMiB: 128 },
    });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await stack?.close();
  await removeDir(dir);
});

describe('durable log faults (ENOSPC / EIO on append and fdatasync)', () => {
  const expected = new Map<string, string[]>();

  it.each(cases)(
    '$name: 503 with Retry-After, nothing acknowledged, recovery when the fault clears',
    async (c) => {
      expect((await send(c.name, 'a')).status).toBe(200);
      faults[c.on] = c.fault;
      if (c.cutFails) faults.cut = 'EIO';
      if (c.cutFails === 'both') faults.mark = 'EIO';
      const key = { 'idempotency-key': `b-${c.name}` };
      await expect503(await send(c.name, 'b', key));
      expect(faults.raised).toContain(`${c.on === 'append' ? 'write' : 'fdatasync'}:${c.fault}`);
      if (c.cutFails === 'both') {
        // The failed write could not be cut off: nothing more is written until it can be.
        faults.append = faults.sync = undefined;
        await expect503(await send(c.name, 'w'));
      }
      if (c.crash) {
        expected.set(c.name, ['a']);
        return;
      }
      faults.clear();
      // The claim was released (nothing was stored), so the retry stores the batch, once.
      const retry = await send(c.name, 'b', key);
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect((await send(c.name, 'c')).status).toBe(200);
      expected.set(c.name, ['a', 'b', 'c']);
    },
  );

  it('a restart replays exactly what was acknowledged: no failed batch, no torn frame, nothing twice', async () => {
    expect(expected.size).toBe(cases.length);
    // Stop without draining (the faults of the last case still armed), then start on the same files.
    await stack.close();
    faults.clear();
    await start(false);
    await stack.services.delivery.drain();
    for (const c of cases) expect(await rawIds(c.name), c.name).toEqual(expected.get(c.name));
    const crashed = cases.find((c) => c.crash)!;
    expect((await send(crashed.name, 'b', { 'idempotency-key': `b-${crashed.name}` })).status).toBe(200);
    await stack.services.delivery.drain();
    expect(await rawIds(crashed.name)).toEqual(['a', 'b']);
  });
});
