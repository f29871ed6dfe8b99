import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReceiptStore, receiptKey } from '../../../api/adapters/firehose/index.js';
import type { DeliveryReceipt } from '../../../api/adapters/firehose/index.js';
import { DependencyUnavailableError, MisconfiguredError } from '../../../api/domain/errors.js';
import { startDynamo, unreachableDynamo } from './harness.js';
import type { Dynamo } from './harness.js';

const TABLE = 'tributary-receipts';
const NOW = new Date('2026-11-26T12:00:00.000Z');

const receipt: DeliveryReceipt = {
  tenant: 'acme',
  stream: 'orders',
  batchId: '01J0000000000000000000000A',
  receivedAt: '2026-11-26T11:59:59.500Z',
  accepted: 998,
  rejected: 2,
  deliveredAt: '2026-11-26T12:00:00.000Z',
  recordIds: ['id-raw-1', 'id-raw-2', 'id-quarantine-1'],
};

describe('DynamoReceiptStore', () => {
  let dynamo: Dynamo;
  let store: DynamoReceiptStore;

  beforeAll(async () => {
    dynamo = await startDynamo(TABLE);
    store = new DynamoReceiptStore({ client: dynamo.client, tableName: TABLE, now: () => NOW });
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('round-trips a receipt', async () => {
    await store.put(receipt);
    expect(await store.get('acme', 'orders', receipt.batchId)).toEqual(receipt);
  });

  it('writes one item under the tenant, keyed by stream and batch, expiring in 7 days', async () => {
    await store.put(receipt);
    const out = await dynamo.client.send(
      new GetItemCommand({ TableName: TABLE, Key: receiptKey('acme', 'orders', receipt.batchId) }),
    );
    expect(out.Item?.pk).toEqual({ S: 'TENANT#acme' });
    expect(out.Item?.sk).toEqual({ S: `BATCH#orders#${receipt.batchId}` });
    expect(out.Item?.expiresAt).toEqual({ N: String(NOW.getTime() / 1000 + 7 * 24 * 3600) });
  });

  it('keeps an empty list of RecordIds (a batch with nothing to send)', async () => {
    const empty = { ...receipt, batchId: 'empty', accepted: 0, rejected: 0, recordIds: [] };
    await store.put(empty);
    expect(await store.get('acme', 'orders', 'empty')).toEqual(empty);
  });

  it('answers undefined for unknown batches, other streams and other tenants', async () => {
    await store.put(receipt);
    expect(await store.get('acme', 'orders', 'nope')).toBeUndefined();
    expect(await store.get('acme', 'payments', receipt.batchId)).toBeUndefined();
    expect(await store.get('globex', 'orders', receipt.batchId)).toBeUndefined();
  });

  it('treats an expired receipt as gone before TTL deletion catches up', async () => {
    await store.put({ ...receipt, batchId: 'old' });
    const later = new DynamoReceiptStore({
      client: dynamo.client,
      tableName: TABLE,
      now: () => new Date(NOW.getTime() + 8 * 24 * 3600 * 1000),
    });
    expect(await later.get('acme', 'orders', 'old')).toBeUndefined();
  });

  it('marks a receipt loaded once, only when raw holds every accepted row, never creating one', async () => {
    const batch = { ...receipt, batchId: 'to-load' };
    await store.put(batch);
    expect(await store.markLoaded('acme', 'orders', 'to-load', '2026-11-26T12:01:00.000Z', 997)).toBe(false);
    expect((await store.get('acme', 'orders', 'to-load'))?.loadedAt).toBeUndefined();
    expect(await store.markLoaded('acme', 'orders', 'to-load', '2026-11-26T12:02:00.000Z', 998)).toBe(true);
    // A repeated poll keeps the first load time.
    expect(await store.markLoaded('acme', 'orders', 'to-load', '2026-11-26T12:03:00.000Z', 998)).toBe(false);
    expect(await store.get('acme', 'orders', 'to-load')).toEqual({
      ...batch,
      loadedAt: '2026-11-26T12:02:00.000Z',
    });
    expect(await store.markLoaded('acme', 'orders', 'never-put', '2026-11-26T12:02:00.000Z', 5)).toBe(false);
    expect(await store.get('acme', 'orders', 'never-put')).toBeUndefined();
  });

  it('translates a missing table into MisconfiguredError with the cause: retrying cannot help', async () => {
    const missing = new DynamoReceiptStore({
      client: dynamo.client,
      tableName: 'no-such-table',
      now: () => NOW,
    });
    const putErr = await missing.put(receipt).catch((e: unknown) => e);
    expect(putErr).toBeInstanceOf(MisconfiguredError);
    expect((putErr as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    const getErr = await missing.get('acme', 'orders', 'x').catch((e: unknown) => e);
    expect(getErr).toBeInstanceOf(MisconfiguredError);
    const markErr = await missing
      .markLoaded('acme', 'orders', 'x', NOW.toISOString(), 1)
      .catch((e: unknown) => e);
    expect(markErr).toBeInstanceOf(MisconfiguredError);
    expect((markErr as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('translates an unreachable DynamoDB into DependencyUnavailableError with the cause', async () => {
    const client = unreachableDynamo();
    try {
      const down = new DynamoReceiptStore({ client, tableName: TABLE, now: () => NOW });
      const putErr = await down.put(receipt).catch((e: unknown) => e);
      expect(putErr).toBeInstanceOf(DependencyUnavailableError);
      expect((putErr as Error).cause).toBeInstanceOf(Error);
      await expect(down.get('acme', 'orders', 'x')).rejects.toBeInstanceOf(DependencyUnavailableError);
    } finally {
      client.destroy();
    }
  });
});
