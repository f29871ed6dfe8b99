import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../../api/adapters/dynamodb/index.js';
import type { IdempotencyRecord } from '../../../api/ports.js';
import { useDynalite } from '../../support/dynalite.js';
import { idempotencyStoreContract } from '../../support/idempotency-contract.js';

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

describe('DynamoIdempotencyStore against dynalite', () => {
  idempotencyStoreContract(() => store, { retentionMs: 48 * 3_600_000 });

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
