import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalIdempotencyStore } from '../../../api/adapters/local/idempotency-store.js';
import { IdempotencyInProgressError } from '../../../api/domain/errors.js';
import {
  runIdempotent,
  type IdempotentOutcome,
  type IdempotentRequest,
} from '../../../api/domain/records/idempotency.js';
import type { IdempotencyRecord } from '../../../api/ports.js';
import { silentLogger } from '../../support/logger.js';
import { removeDir, tempDir } from '../../support/temp-dir.js';

/** runIdempotent over the real local store, restarted in between as a crashed server would be. */
let dir = '';
const stores: LocalIdempotencyStore[] = [];
const open = async () => {
  const s = await LocalIdempotencyStore.open({
    dir,
    logger: silentLogger,
    now: Date.now,
    maxKeys: 1000,
    retentionMs: 24 * 3_600_000,
  });
  stores.push(s);
  return s;
};
beforeEach(async () => {
  dir = await tempDir('tributary-idem-domain-');
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await removeDir(dir);
});

const claim = (key: string): IdempotencyRecord => ({
  tenant: 'acme',
  stream: 'orders',
  key,
  fingerprint: 'fp:partial',
  state: 'pending',
  token: 'dead-process',
  createdAt: new Date().toISOString(),
  batchId: 'batch-dead',
});
const outcomeOf = (batchId: string, accepted: number): IdempotentOutcome => ({
  status: 200,
  body: { batchId, accepted, rejected: 0, duplicates: 0, errors: [] },
  replayed: false,
});

/** A request for `key` that counts how often it stored, with `recovered` as the dead batch's answer. */
function request(key: string, recovered?: IdempotentOutcome) {
  const calls = { run: 0, recover: [] as IdempotencyRecord[] };
  const req: IdempotentRequest = {
    tenant: 'acme',
    stream: 'orders',
    key,
    fingerprint: 'fp:partial',
    batchId: 'batch-retry',
    run: (attempt) => {
      calls.run++;
      attempt.stored();
      return Promise.resolve(outcomeOf('batch-retry', 3));
    },
    recover: (stale) => {
      calls.recover.push(stale);
      return Promise.resolve(recovered);
    },
  };
  return { req, calls };
}

const depsOf = (store: LocalIdempotencyStore) => ({
  store,
  now: () => new Date(),
  warn: () => undefined,
});

describe('runIdempotent and claims orphaned by a crash', () => {
  it('a fresh claim of this process answers 409; the same claim after a restart is taken over at once', async () => {
    const before = await open();
    expect(await before.claim(claim('k1'))).toBeUndefined();
    const live = request('k1');
    await expect(runIdempotent(depsOf(before), live.req)).rejects.toBeInstanceOf(IdempotencyInProgressError);
    expect(live.calls.run).toBe(0);
    await before.close();

    const after = await open();
    const retry = request('k1');
    const outcome = await runIdempotent(depsOf(after), retry.req);
    expect(outcome).toEqual(outcomeOf('batch-retry', 3));
    expect(retry.calls.recover.map((r) => r.batchId)).toEqual(['batch-dead']);
    expect(retry.calls.run).toBe(1);
    const replay = request('k1');
    expect(await runIdempotent(depsOf(after), replay.req)).toEqual({ ...outcome, replayed: true });
    expect(replay.calls.run).toBe(0);
  });

  it('an orphaned claim whose batch was stored is answered from its receipt, not stored again', async () => {
    const before = await open();
    expect(await before.claim(claim('k2'))).toBeUndefined();
    await before.close();

    const after = await open();
    const retry = request('k2', outcomeOf('batch-dead', 5));
    expect(await runIdempotent(depsOf(after), retry.req)).toEqual({
      ...outcomeOf('batch-dead', 5),
      replayed: true,
    });
    expect(retry.calls.run).toBe(0);
    expect((await after.claim(claim('k2')))?.result?.body.batchId).toBe('batch-dead');
  });
});
