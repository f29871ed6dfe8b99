import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../../api/adapters/dynamodb/index.js';
import type { IdempotencyRecord } from '../../../api/ports.js';
import { useDynalite } from '../../support/dynalite.js';

const client = useDynalite('idem');
let store: DynamoIdempotencyStore;

beforeAll(() => {
  store = new DynamoIdempotencyStore(client(), 'idem');
});

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

describe('DynamoIdempotencyStore against dynalite', () => {
  it('lets exactly one of many concurrent claims win; the others read the winner', async () => {
    const tokens = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const answers = await Promise.all(tokens.map((t) => store.claim(claimOf('race', t))));
    const winners = tokens.filter((_, i) => answers[i] === undefined);
    expect(winners).toHaveLength(1);
    for (const a of answers) if (a) expect(a.token).toBe(winners[0]);
  });

  it('completes and releases only with its own token', async () => {
    const mine = claimOf('own', 'mine');
    expect(await store.claim(mine)).toBeUndefined();
    const other = claimOf('own', 'other');
    // Someone else's token can neither record a result nor release the claim.
    expect(await store.complete({ ...other, state: 'done', result: { status: 200, body } })).toBe(false);
    await store.release(other);
    expect((await store.claim(other))?.token).toBe('mine');
    expect(await store.complete({ ...mine, state: 'done', result: { status: 200, body } })).toBe(true);
    // A done record is never released, not even by its owner.
    await store.release(mine);
    const held = await store.claim(other);
    expect(held?.state).toBe('done');
    expect(held?.result?.body).toEqual(body);
  });

  it('releases a pending claim so the key can be claimed again', async () => {
    const mine = claimOf('rel', 'a');
    expect(await store.claim(mine)).toBeUndefined();
    await store.release(mine);
    expect(await store.claim(claimOf('rel', 'b'))).toBeUndefined();
  });

  it('lets exactly one of two concurrent takeovers of a stale claim win', async () => {
    const stale = claimOf('stale', 'dead', { createdAt: new Date(Date.now() - 120_000).toISOString() });
    expect(await store.claim(stale)).toBeUndefined();
    const [a, b] = await Promise.all([
      store.takeOver(stale, claimOf('stale', 'a')),
      store.takeOver(stale, claimOf('stale', 'b')),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const holder = await store.claim(claimOf('stale', 'c'));
    expect(holder?.token).toBe(a ? 'a' : 'b');
    // The stale claim is gone: taking it over again fails, and so does its owner's late completion.
    expect(await store.takeOver(stale, claimOf('stale', 'd'))).toBe(false);
    expect(await store.complete({ ...stale, state: 'done', result: { status: 200, body } })).toBe(false);
  });

  it('never takes over a claim that completed in the meantime', async () => {
    const slow = claimOf('late', 'slow', { createdAt: new Date(Date.now() - 120_000).toISOString() });
    expect(await store.claim(slow)).toBeUndefined();
    expect(await store.complete({ ...slow, state: 'done', result: { status: 200, body } })).toBe(true);
    expect(await store.takeOver(slow, claimOf('late', 'retry'))).toBe(false);
    expect((await store.claim(claimOf('late', 'x')))?.state).toBe('done');
  });

  it('treats a record past its 48 h retention as gone even before TTL deletes it', async () => {
    const old = claimOf('old', 'old', { createdAt: new Date(Date.now() - 49 * 3_600_000).toISOString() });
    expect(await store.claim(old)).toBeUndefined();
    expect(await store.complete({ ...old, state: 'done', result: { status: 200, body } })).toBe(true);
    expect(await store.claim(claimOf('old', 'new'))).toBeUndefined();
  });

  it('takes over a pending claim written before tokens existed by its exact document', async () => {
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    const legacy = {
      tenant: 'acme',
      stream: 'orders',
      key: 'legacy',
      fingerprint: 'f1',
      state: 'pending' as const,
      createdAt: new Date(Date.now() - 120_000).toISOString(),
    };
    await client().send(
      new PutItemCommand({
        TableName: 'idem',
        Item: {
          pk: { S: 'IDEM#acme#orders#legacy' },
          sk: { S: 'IDEM' },
          doc: { S: JSON.stringify(legacy) },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
        },
      }),
    );
    const read = await store.claim(claimOf('legacy', 'n'));
    expect(read).toEqual(legacy);
    expect(await store.takeOver({ ...legacy, fingerprint: 'other' }, claimOf('legacy', 'x'))).toBe(false);
    expect(await store.takeOver(read!, claimOf('legacy', 'n'))).toBe(true);
    expect((await store.claim(claimOf('legacy', 'z')))?.token).toBe('n');
  });
});
