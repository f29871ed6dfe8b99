import { expect, it } from 'vitest';
import type { IdempotencyRecord, IdempotencyStore } from '../../api/ports.js';

/**
 * The cases every IdempotencyStore must pass, whatever holds the records (DynamoDB's conditional
 * writes, or the local store's map and journal). Call inside a describe; `store` is read per test.
 */
export function idempotencyStoreContract(
  store: () => IdempotencyStore,
  opts: { /** How long the store keeps a key after its claim. */ retentionMs: number },
): void {
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
  const body = { batchId: 'b', accepted: 1, rejected: 0, duplicates: 0, errors: [] };
  const agoIso = (ms: number) => new Date(Date.now() - ms).toISOString();

  it('lets exactly one of many concurrent claims win; the others read the winner', async () => {
    const tokens = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const answers = await Promise.all(tokens.map((t) => store().claim(claimOf('race', t))));
    const winners = tokens.filter((_, i) => answers[i] === undefined);
    expect(winners).toHaveLength(1);
    for (const a of answers) if (a) expect(a.token).toBe(winners[0]);
  });

  it('gives back the holder as it was written', async () => {
    const mine = claimOf('read', 'mine');
    expect(await store().claim(mine)).toBeUndefined();
    expect(await store().claim(claimOf('read', 'other'))).toEqual(mine);
    const done: IdempotencyRecord = { ...mine, state: 'done', result: { status: 422, body } };
    expect(await store().complete(done)).toBe(true);
    expect(await store().claim(claimOf('read', 'other'))).toEqual(done);
  });

  it('completes and releases only with its own token', async () => {
    const mine = claimOf('own', 'mine');
    expect(await store().claim(mine)).toBeUndefined();
    const other = claimOf('own', 'other');
    // Someone else's token can neither record a result nor release the claim.
    expect(await store().complete({ ...other, state: 'done', result: { status: 200, body } })).toBe(false);
    await store().release(other);
    expect((await store().claim(other))?.token).toBe('mine');
    expect(await store().complete({ ...mine, state: 'done', result: { status: 200, body } })).toBe(true);
    // A done record is never released, not even by its owner.
    await store().release(mine);
    const held = await store().claim(other);
    expect(held?.state).toBe('done');
    expect(held?.result?.body).toEqual(body);
  });

  it('releases a pending claim so the key can be claimed again', async () => {
    const mine = claimOf('rel', 'a');
    expect(await store().claim(mine)).toBeUndefined();
    await store().release(mine);
    expect(await store().claim(claimOf('rel', 'b'))).toBeUndefined();
  });

  it('lets exactly one of two concurrent takeovers of a stale claim win', async () => {
    const stale = claimOf('stale', 'dead', { createdAt: agoIso(120_000) });
    expect(await store().claim(stale)).toBeUndefined();
    const [a, b] = await Promise.all([
      store().takeOver(stale, claimOf('stale', 'a')),
      store().takeOver(stale, claimOf('stale', 'b')),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const holder = await store().claim(claimOf('stale', 'c'));
    expect(holder?.token).toBe(a ? 'a' : 'b');
    // The stale claim is gone: taking it over again fails, and so does its owner's late completion.
    expect(await store().takeOver(stale, claimOf('stale', 'd'))).toBe(false);
    expect(await store().complete({ ...stale, state: 'done', result: { status: 200, body } })).toBe(false);
  });

  it('takes a stale claim over straight to a recorded result', async () => {
    const stale = claimOf('recovered', 'dead', { createdAt: agoIso(120_000) });
    expect(await store().claim(stale)).toBeUndefined();
    const done: IdempotencyRecord = {
      ...claimOf('recovered', 'retry'),
      batchId: stale.batchId,
      state: 'done',
      result: { status: 200, body },
    };
    expect(await store().takeOver(stale, done)).toBe(true);
    expect(await store().claim(claimOf('recovered', 'later'))).toEqual(done);
  });

  it('never takes over a claim that completed in the meantime', async () => {
    const slow = claimOf('late', 'slow', { createdAt: agoIso(120_000) });
    expect(await store().claim(slow)).toBeUndefined();
    expect(await store().complete({ ...slow, state: 'done', result: { status: 200, body } })).toBe(true);
    expect(await store().takeOver(slow, claimOf('late', 'retry'))).toBe(false);
    expect((await store().claim(claimOf('late', 'x')))?.state).toBe('done');
  });

  it('treats a record past its retention as gone', async () => {
    const old = claimOf('old', 'old', { createdAt: agoIso(opts.retentionMs + 3_600_000) });
    expect(await store().claim(old)).toBeUndefined();
    expect(await store().complete({ ...old, state: 'done', result: { status: 200, body } })).toBe(true);
    expect(await store().claim(claimOf('old', 'new'))).toBeUndefined();
    expect((await store().claim(claimOf('old', 'newer')))?.token).toBe('new');
  });

  it('keeps keys of different streams and tenants apart', async () => {
    expect(await store().claim(claimOf('shared', 'a'))).toBeUndefined();
    expect(await store().claim(claimOf('shared', 'b', { stream: 'refunds' }))).toBeUndefined();
    expect(await store().claim(claimOf('shared', 'c', { tenant: 'globex' }))).toBeUndefined();
    expect((await store().claim(claimOf('shared', 'd', { stream: 'refunds' })))?.token).toBe('b');
  });
}
