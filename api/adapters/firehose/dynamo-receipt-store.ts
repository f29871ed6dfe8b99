import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { catalogFailure } from '../dynamodb/errors.js';
import type { DeliveryReceipt, ReceiptStore } from './receipt-store.js';

const SEVEN_DAYS_SECONDS = 7 * 24 * 60 * 60;

/** Key layout in the single table: receipts sit under their tenant, beside its catalog items. */
export function receiptKey(
  tenant: string,
  stream: string,
  batchId: string,
): Record<'pk' | 'sk', AttributeValue> {
  return { pk: { S: `TENANT#${tenant}` }, sk: { S: `BATCH#${stream}#${batchId}` } };
}

/**
 * Receipts in DynamoDB, one item per batch. `expiresAt` (epoch seconds) lets the table's TTL drop
 * them after a week: receipts answer "did my batch land", not an audit log.
 */
export class DynamoReceiptStore implements ReceiptStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => Date;
  private readonly ttlSeconds: number;

  constructor(opts: { client: DynamoDBClient; tableName: string; now?: () => Date; ttlSeconds?: number }) {
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.now = opts.now ?? (() => new Date());
    this.ttlSeconds = opts.ttlSeconds ?? SEVEN_DAYS_SECONDS;
  }

  async put(receipt: DeliveryReceipt): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.ttlSeconds;
    const item: Record<string, AttributeValue> = {
      ...receiptKey(receipt.tenant, receipt.stream, receipt.batchId),
      kind: { S: 'receipt' },
      tenant: { S: receipt.tenant },
      stream: { S: receipt.stream },
      batchId: { S: receipt.batchId },
      receivedAt: { S: receipt.receivedAt },
      deliveredAt: { S: receipt.deliveredAt },
      accepted: { N: String(receipt.accepted) },
      rejected: { N: String(receipt.rejected) },
      // A list, not a string set: a set may not be empty.
      recordIds: { L: receipt.recordIds.map((id) => ({ S: id })) },
      expiresAt: { N: String(expiresAt) },
    };
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item }));
    } catch (err) {
      throw catalogFailure(err);
    }
  }

  /**
   * One conditional write: the receipt must exist (an expired one may already be gone), have no loadedAt
   * (the first load time stands when a poll is repeated), and `rows` must cover `accepted` (a batch split
   * over two lake objects is loaded only when both are).
   */
  async markLoaded(
    tenant: string,
    stream: string,
    batchId: string,
    loadedAt: string,
    rows: number,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: receiptKey(tenant, stream, batchId),
          UpdateExpression: 'SET loadedAt = :at',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(loadedAt) AND accepted <= :rows',
          ExpressionAttributeValues: { ':at': { S: loadedAt }, ':rows': { N: String(rows) } },
        }),
      );
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw catalogFailure(err);
    }
  }

  async get(tenant: string, stream: string, batchId: string): Promise<DeliveryReceipt | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      const out = await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: receiptKey(tenant, stream, batchId),
          ConsistentRead: true,
        }),
      );
      item = out.Item;
    } catch (err) {
      throw catalogFailure(err);
    }
    if (!item) return undefined;
    // TTL deletion lags expiry by up to days; an expired receipt is gone as far as callers know.
    const expiresAt = Number(item.expiresAt?.N ?? Infinity);
    if (expiresAt * 1000 <= this.now().getTime()) return undefined;
    return {
      tenant: item.tenant?.S ?? tenant,
      stream: item.stream?.S ?? stream,
      batchId: item.batchId?.S ?? batchId,
      receivedAt: item.receivedAt?.S ?? '',
      deliveredAt: item.deliveredAt?.S ?? '',
      accepted: Number(item.accepted?.N ?? 0),
      rejected: Number(item.rejected?.N ?? 0),
      recordIds: (item.recordIds?.L ?? []).flatMap((v) => (v.S === undefined ? [] : [v.S])),
      ...(item.loadedAt?.S ? { loadedAt: item.loadedAt.S } : {}),
    };
  }
}
