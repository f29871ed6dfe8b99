import { appendFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../api/adapters/local/frame.js';
import {
  LocalIdempotencyStore,
  type LocalIdempotencyOptions,
} from '../../../api/adapters/local/idempotency-store.js';
import { DependencyUnavailableError, OverloadedError } from '../../../api/domain/errors.js';
import type { IdempotencyRecord } from '../../../api/ports.js';
import { FaultyJournalFs } from '../../support/faulty-journal-fs.js';
import { idempotencyStoreContract } from '../../support/idempotency-contract.js';
import { silentLogger } from '../../support/logger.js';
import { removeDir, tempDir } from '../../support/temp-dir.js';

const RETENTION_MS = 24 * 3_600_000;
const HOUR = 3_600_000;

const claimOf = (key: string, token: string, over: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
  tenant: 'acme',
  stream: 'orders',
  key,
  fingerprint: 'f1',
  state: 'pending',
  token,
  createdAt: new Date().toISOString(),
  batchId: `batch-${token}`,
  ...over,
});
const doneOf = (r: IdempotencyRecord, accepted = 1): IdempotencyRecord => ({
  ...r,
  state: 'done',
  result: { status: 200, body: { batchId: r.batchId!, accepted, rejected: 0, duplicates: 0, errors: [] } },
});

/** Waits (without asserting any duration) until `cond` holds; fails if it never does. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('LocalIdempotencyStore: the IdempotencyStore contract', () => {
  let dir = '';
  let store: LocalIdempotencyStore;
  beforeAll(async () => {
    dir = await tempDir('tributary-idem-');
    store = await LocalIdempotencyStore.open({
      dir,
      logger: silentLogger,
      now: Date.now,
      maxKeys: 10_000,
      retentionMs: RETENTION_MS,
    });
  });
  afterAll(async () => {
    await store?.close();
    await removeDir(dir);
  });
  idempotencyStoreContract(() => store, { retentionMs: RETENTION_MS });
});

describe('LocalIdempotencyStore: journal', () => {
  let dir = '';
  let fs: FaultyJournalFs;
  /** Added to the wall clock: moves the store's time forward. */
  let shift = 0;
  const opened: LocalIdempotencyStore[] = [];
  const open = async (over: Partial<LocalIdempotencyOptions> = {}) => {
    const s = await LocalIdempotencyStore.open({
      dir,
      logger: silentLogger,
      now: () => Date.now() + shift,
      fs,
      maxKeys: 10_000,
      retentionMs: RETENTION_MS,
      ...over,
    });
    opened.push(s);
    return s;
  };
  const journal = () => path.join(dir, 'journal.log');

  beforeEach(async () => {
    dir = await tempDir('tributary-idem-');
    fs = new FaultyJournalFs();
    shift = 0;
  });
  afterEach(async () => {
    fs.releaseSyncs();
    for (const s of opened.splice(0)) await s.close();
    await removeDir(dir);
  });

  it('answers a claim only once an fdatasync covers it; results and releases do not wait for one', async () => {
    const store = await open();
    const a = claimOf('a', 'a');
    const r = claimOf('r', 'r');
    expect(await store.claim(a)).toBeUndefined();
    expect(await store.claim(r)).toBeUndefined();
    fs.holdSyncs();
    const syncs = fs.ops.filter((o) => o === 'datasync:journal.log').length;
    let claimed = false;
    const b = store.claim(claimOf('b', 'b')).then(() => (claimed = true));
    await until(() => fs.ops.filter((o) => o === 'datasync:journal.log').length > syncs);
    // B's frame is written and its fdatasync is under way: B is not answered yet, A's result is.
    expect(await store.complete(doneOf(a))).toBe(true);
    await store.release(r);
    expect(claimed).toBe(false);
    // Meanwhile B already holds its key for anyone else.
    expect((await store.claim(claimOf('b', 'other')))?.token).toBe('b');
    fs.releaseSyncs();
    await b;
    await store.close();

    const again = await open();
    expect(await again.claim(claimOf('a', 'x'))).toEqual(doneOf(a));
    expect(await again.claim(claimOf('r', 'x'))).toBeUndefined();
  });

  it('with claims riding in log entries, answers claims without an fdatasync; sync() waits for one', async () => {
    const store = await open({ claimsRideWithBatches: true });
    fs.holdSyncs();
    const a = claimOf('a', 'a');
    expect(await store.claim(a)).toBeUndefined();
    const b = claimOf('b', 'b', { createdAt: new Date(Date.now() - 120_000).toISOString() });
    expect(await store.claim(b)).toBeUndefined();
    expect(await store.takeOver(b, claimOf('b', 'b2'))).toBe(true);
    expect(fs.ops).not.toContain('datasync:journal.log');
    let synced = false;
    const sync = store.sync().then(() => (synced = true));
    await until(() => fs.ops.includes('datasync:journal.log'));
    expect(synced).toBe(false);
    fs.releaseSyncs();
    await sync;
    // A failed fdatasync fails the sync (the log then keeps its segment); the next one rewrites.
    fs.syncFault = 'EIO';
    await expect(store.claim(claimOf('c', 'c'))).resolves.toBeUndefined();
    await expect(store.sync()).rejects.toBeInstanceOf(DependencyUnavailableError);
    fs.syncFault = undefined;
    shift += 1_500;
    await store.sync();
    expect(fs.ops).toContain('rename:journal.log.tmp');
    await store.close();
    const again = await open();
    expect((await again.claim(claimOf('c', 'x')))?.token).toBe('c');
  });

  it('writes frames nobody waits for in one write after a linger, at once when a sync asks or at close', async () => {
    const writes = () => fs.ops.filter((o) => o === 'writev:journal.log').length;
    const store = await open({ claimsRideWithBatches: true, journalLingerMs: 3_600_000 });
    const before = writes();
    const a = claimOf('a', 'a');
    expect(await store.claim(a)).toBeUndefined();
    for (const k of ['b', 'c']) expect(await store.claim(claimOf(k, k))).toBeUndefined();
    expect(await store.complete(doneOf(a))).toBe(true);
    expect(writes()).toBe(before);
    await store.sync();
    expect(writes()).toBe(before + 1);
    expect(fs.ops.at(-1)).toBe('datasync:journal.log');
    // Lingering frames are written by close(): a clean shutdown keeps them.
    expect(await store.claim(claimOf('d', 'd'))).toBeUndefined();
    await store.close();
    expect(writes()).toBe(before + 2);
    const again = await open({ claimsRideWithBatches: true, journalLingerMs: 5 });
    expect((await again.claim(claimOf('d', 'x')))?.token).toBe('d');
    expect(await again.claim(claimOf('a', 'x'))).toEqual(doneOf(a));
    // A short linger writes on its own, without a sync.
    const reopened = writes();
    expect(await again.claim(claimOf('e', 'e'))).toBeUndefined();
    await until(() => writes() > reopened);
  });

  it('writes lingering frames without waiting once they pass 256 KiB', async () => {
    const writes = () => fs.ops.filter((o) => o === 'writev:journal.log').length;
    const store = await open({ claimsRideWithBatches: true, journalLingerMs: 3_600_000 });
    const before = writes();
    const key = (i: number) => `k${i}-${'x'.repeat(200)}`;
    for (let i = 0; writes() === before && i < 5_000; i++)
      expect(await store.claim(claimOf(key(i), `t${i}`))).toBeUndefined();
    expect(writes()).toBe(before + 1);
  });

  it('restores a claim from a log entry unless the journal holds the key as recently, or it expired', async () => {
    const store = await open({ claimsRideWithBatches: true });
    const kept = claimOf('kept', 'j1');
    expect(await store.claim(kept)).toBeUndefined();
    expect(await store.complete(doneOf(kept))).toBe(true);
    const ride = (r: IdempotencyRecord) =>
      store.restore(
        r.tenant,
        r.stream,
        { key: r.key, fingerprint: r.fingerprint, token: r.token, createdAt: r.createdAt },
        r.batchId!,
      );
    ride(claimOf('kept', 'older', { createdAt: new Date(Date.now() - 60_000).toISOString() }));
    const lost = claimOf('lost', 'l1');
    ride(lost);
    ride(claimOf('expired', 'e1', { createdAt: new Date(Date.now() - RETENTION_MS - HOUR).toISOString() }));
    expect(await store.claim(claimOf('kept', 'x'))).toEqual(doneOf(kept));
    expect(await store.claim(claimOf('lost', 'x'))).toEqual({ ...lost, orphaned: true });
    expect(await store.claim(claimOf('expired', 'x'))).toBeUndefined();
    // Restored claims are journaled: they survive the next restart as well.
    await store.close();
    const again = await open();
    expect(await again.claim(claimOf('lost', 'y'))).toEqual({ ...lost, orphaned: true });
  });

  it('replays results, releases and takeovers at start, and marks the pending claims orphaned', async () => {
    const store = await open();
    const done = claimOf('done', 'd1');
    const pending = claimOf('pending', 'p1');
    const released = claimOf('released', 'r1');
    const stale = claimOf('taken', 'old', { createdAt: new Date(Date.now() - 120_000).toISOString() });
    const taker = claimOf('taken', 'new');
    for (const r of [done, pending, released, stale]) expect(await store.claim(r)).toBeUndefined();
    expect(await store.complete(doneOf(done, 7))).toBe(true);
    await store.release(released);
    expect(await store.takeOver(stale, taker)).toBe(true);
    // In the process that made it, a pending claim is not orphaned.
    expect((await store.claim(claimOf('pending', 'x')))?.orphaned).toBeUndefined();
    await store.close();

    const again = await open();
    expect(again.stats().keys).toBe(3);
    expect(await again.claim(claimOf('done', 'x'))).toEqual(doneOf(done, 7));
    expect(await again.claim(claimOf('pending', 'x'))).toEqual({ ...pending, orphaned: true });
    expect(await again.claim(claimOf('taken', 'x'))).toEqual({ ...taker, orphaned: true });
    expect(await again.claim(claimOf('released', 'r2'))).toBeUndefined();
    // An orphaned claim is taken over like any stale one; the new claim is this process's own.
    const retry = claimOf('pending', 'p2');
    expect(await again.takeOver({ ...pending, orphaned: true }, retry)).toBe(true);
    expect(await again.claim(claimOf('pending', 'x'))).toEqual(retry);
  });

  it('cuts a torn tail off and keeps every frame before it', async () => {
    const store = await open();
    const kept = [claimOf('k1', 't1'), claimOf('k2', 't2')];
    for (const r of kept) expect(await store.claim(r)).toBeUndefined();
    expect(await store.complete(doneOf(kept[0]))).toBe(true);
    await store.close();
    const intact = (await stat(journal())).size;

    // A frame cut short by a crash mid-append, then (another start) one whose bytes are corrupt.
    const next = encodeFrame(
      JSON.stringify({
        o: 'p',
        t: 'acme',
        s: 'orders',
        k: 'k3',
        f: 'f1',
        st: 'pending',
        at: new Date().toISOString(),
      }),
    );
    await appendFile(journal(), next.subarray(0, next.length - 5));
    const torn = await open();
    expect((await stat(journal())).size).toBe(intact);
    expect(await torn.claim(claimOf('k1', 'x'))).toEqual(doneOf(kept[0]));
    expect((await torn.claim(claimOf('k2', 'x')))?.token).toBe('t2');
    expect(await torn.claim(claimOf('k3', 't3'))).toBeUndefined();
    await torn.close();

    const corrupt = Buffer.from(next);
    corrupt[corrupt.length - 3] ^= 0xff;
    const before = (await stat(journal())).size;
    await appendFile(journal(), Buffer.concat([corrupt, next]));
    const again = await open();
    expect((await stat(journal())).size).toBe(before);
    expect(again.stats().keys).toBe(3);
    expect((await again.claim(claimOf('k3', 'x')))?.token).toBe('t3');
  });

  it('rewrites the journal once dead frames dominate, keeping the live state', async () => {
    const store = await open({ compactMinBytes: 4096 });
    const live = Array.from({ length: 5 }, (_, i) => claimOf(`live-${i}`, `l${i}`));
    for (const r of live) {
      expect(await store.claim(r)).toBeUndefined();
      expect(await store.complete(doneOf(r))).toBe(true);
    }
    let written = 0;
    for (let i = 0; i < 200; i++) {
      const r = claimOf(`churn-${i}`, `c${i}`);
      expect(await store.claim(r)).toBeUndefined();
      await store.release(r);
      written += 2;
    }
    expect(fs.ops).toContain('rename:journal.log.tmp');
    const { journalBytes, liveBytes, keys } = store.stats();
    expect(keys).toBe(5);
    // Far below the ~400 frames written; never more than twice the live state plus one group.
    expect(journalBytes).toBeLessThan(written * 100);
    expect((await stat(journal())).size).toBe(journalBytes);
    expect(liveBytes).toBeGreaterThan(0);
    await store.close();

    const again = await open({ compactMinBytes: 4096 });
    expect(again.stats().keys).toBe(5);
    for (const r of live) expect(await again.claim(claimOf(r.key, 'x'))).toEqual(doneOf(r));
  });

  it('drops keys past their retention at start and compacts them away', async () => {
    const store = await open({ compactMinBytes: 1 });
    for (let i = 0; i < 20; i++) {
      const r = claimOf(`old-${i}`, `o${i}`);
      expect(await store.claim(r)).toBeUndefined();
      expect(await store.complete(doneOf(r))).toBe(true);
    }
    await store.close();
    expect((await stat(journal())).size).toBeGreaterThan(0);

    shift = RETENTION_MS + HOUR;
    const later = await open({ compactMinBytes: 1 });
    expect(later.stats()).toEqual({ keys: 0, journalBytes: 0, liveBytes: 0 });
    expect((await stat(journal())).size).toBe(0);
  });

  it('refuses new keys past maxKeys with 429 and a Retry-After, until the oldest expire', async () => {
    const store = await open({ maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) expect(await store.claim(claimOf(k, k))).toBeUndefined();
    const refused = await store.claim(claimOf('d', 'd')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OverloadedError);
    expect((refused as OverloadedError).retryAfterSeconds).toBe(300);
    expect((refused as Error).message).toContain('limit of 3 Idempotency-Keys');
    // Keys already held still answer.
    expect((await store.claim(claimOf('a', 'x')))?.token).toBe('a');
    shift = RETENTION_MS + HOUR;
    expect(
      await store.claim(claimOf('d', 'd', { createdAt: new Date(Date.now() + shift).toISOString() })),
    ).toBeUndefined();
    expect(store.stats().keys).toBe(1);
  });

  it('undoes a claim whose fdatasync failed, answers 503, and rewrites the journal without it', async () => {
    const store = await open();
    const kept = claimOf('kept', 'k');
    expect(await store.claim(kept)).toBeUndefined();
    fs.syncFault = 'EIO';
    const failed = await store.claim(claimOf('x', 'lost')).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DependencyUnavailableError);
    fs.syncFault = undefined;
    // Within a second of the failure the journal is not retried: claims are refused at once.
    expect(await store.claim(claimOf('x', 'soon')).catch((e: unknown) => e)).toBeInstanceOf(
      DependencyUnavailableError,
    );
    shift = 2_000;
    expect(await store.claim(claimOf('x', 'won'))).toBeUndefined();
    expect(fs.ops).toContain('rename:journal.log.tmp');
    await store.close();

    const again = await open();
    expect(again.stats().keys).toBe(2);
    expect((await again.claim(claimOf('x', 'y')))?.token).toBe('won');
    expect((await again.claim(claimOf('kept', 'y')))?.token).toBe('k');
  });

  it('a write that fails half-way leaves a torn tail that the next start cuts off', async () => {
    const store = await open();
    expect(await store.claim(claimOf('kept', 'k'))).toBeUndefined();
    fs.writeFault = 'ENOSPC';
    expect(await store.claim(claimOf('y', 'lost')).catch((e: unknown) => e)).toBeInstanceOf(
      DependencyUnavailableError,
    );
    // Not held in memory either: the refused request's retry may claim it.
    fs.writeFault = undefined;
    await store.close();
    const again = await open();
    expect(again.stats().keys).toBe(1);
    expect(await again.claim(claimOf('y', 'retry'))).toBeUndefined();
  });

  it('a takeover whose fdatasync failed leaves the stale claim holding the key', async () => {
    const store = await open();
    const stale = claimOf('s', 'old', { createdAt: new Date(Date.now() - 120_000).toISOString() });
    expect(await store.claim(stale)).toBeUndefined();
    fs.syncFault = 'EIO';
    expect(await store.takeOver(stale, claimOf('s', 'new')).catch((e: unknown) => e)).toBeInstanceOf(
      DependencyUnavailableError,
    );
    fs.syncFault = undefined;
    expect(await store.claim(claimOf('s', 'x'))).toEqual(stale);
    shift = 2_000;
    expect(await store.takeOver(stale, claimOf('s', 'new'))).toBe(true);
  });

  it('refuses claims once closed', async () => {
    const store = await open();
    await store.close();
    expect(await store.claim(claimOf('z', 'z')).catch((e: unknown) => e)).toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});
