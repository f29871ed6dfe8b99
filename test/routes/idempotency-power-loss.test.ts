import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyDir } from '../../api/adapters/local/idempotency-store.js';
import { FaultyJournalFs } from '../support/faulty-journal-fs.js';
import { createKey, createStream, createTenant, startTestStack, type TestStack } from '../support/stack.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

/**
 * A keyed batch's claim reaches the idempotency journal without an fdatasync of its own: the batch's
 * log entry carries it, so one fsync makes both durable. This cuts the journal back to what had been
 * fdatasynced when the process stopped (nothing), as a power loss would, and checks that the retry
 * after the restart finds the claim in the log: it answers with the first answer and its batch id,
 * and nothing is stored twice.
 */
let dir: string;
let t: TestStack | undefined;
let producer = '';
let admin = '';
const faults = new FaultyJournalFs();

/** Starts the stack on `dir` (again), its journal on the faulty file system. */
async function open(): Promise<TestStack> {
  t = await startTestStack({}, { dir, engines: { journalFs: faults } });
  return t;
}

const send = (ids: string[], idempotencyKey: string) =>
  t!.call('POST', '/v1/tenants/acme/streams/events/records', {
    key: producer,
    body: ids.map((id) => ({ id })),
    headers: { 'idempotency-key': idempotencyKey },
  });

beforeAll(async () => {
  dir = await tempDir('tributary-idem-power-');
  const first = await open();
  admin = await createTenant(first, 'acme');
  producer = await createKey(first, 'acme', admin, { name: 'p', role: 'producer', streams: ['*'] });
  const stream = await createStream(first, 'acme', admin, {
    name: 'events',
    schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  });
  expect(stream.status).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await removeDir(dir);
});

describe('claims ride in the log', () => {
  it('a retry after a power loss took the unsynced journal finds its claim in the log', async () => {
    const first = await send(['a', 'b'], 'power-1');
    expect(first.status).toBe(200);
    const { batchId } = (await first.json()) as { batchId: string };
    const other = await send(['c'], 'power-2');
    expect(other.status).toBe(200);
    // Nothing made the journal durable: a power loss now would take every frame in it.
    expect(faults.ops).not.toContain('datasync:journal.log');
    await t!.close();
    t = undefined;
    await truncate(join(idempotencyDir(dir), 'journal.log'), 0);

    const again = await open();
    const retry = await send(['a', 'b'], 'power-1');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toMatchObject({ batchId, accepted: 2, rejected: 0 });
    // The other key's claim came back too: another body under it is a conflict, not a new batch.
    const conflict = await send(['other'], 'power-2');
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ code: 'idempotency_conflict' });

    await again.stack.services.delivery.drain();
    const res = await again.call('GET', '/v1/tenants/acme/streams/events/records?layer=raw&limit=100', {
      key: admin,
    });
    const rows = ((await res.json()) as { records: { id: string; _batch_id: string }[] }).records;
    expect(rows.map((r) => r.id).sort()).toEqual(['a', 'b', 'c']);
    expect(rows.filter((r) => r.id !== 'c').every((r) => r._batch_id === batchId)).toBe(true);
  });
});
