import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { IdempotencyRecord, IdempotencyStore } from '../../ports.js';
import { catalogUnavailable, isConditionFailure } from './errors.js';
import { docItem, key, readDoc } from './item.js';

/** Kept 48 h: the promise is at least 24 h. DynamoDB's TTL deletes them; dynalite just keeps them. */
const RETENTION_SECONDS = 48 * 3600;

const expiresAtOf = (r: IdempotencyRecord) => ({
  N: String(Math.floor(Date.parse(r.createdAt) / 1000) + RETENTION_SECONDS),
});

const pkOf = (r: Pick<IdempotencyRecord, 'tenant' | 'stream' | 'key'>) =>
  `IDEM#${r.tenant}#${r.stream}#${r.key}`;

export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async claim(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: docItem(pkOf(record), 'IDEM', record, { expiresAt: expiresAtOf(record) }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return undefined;
    } catch (err) {
      if (!isConditionFailure(err)) throw catalogUnavailable(err);
    }
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: key(pkOf(record), 'IDEM'), ConsistentRead: true }),
      );
      return readDoc<IdempotencyRecord>(out.Item);
    } catch (err) {
      throw catalogUnavailable(err);
    }
  }

  async complete(record: IdempotencyRecord): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: docItem(pkOf(record), 'IDEM', record, { expiresAt: expiresAtOf(record) }),
        }),
      );
    } catch (err) {
      throw catalogUnavailable(err);
    }
  }

  async release(record: IdempotencyRecord): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({ TableName: this.table, Key: key(pkOf(record), 'IDEM') }),
      );
    } catch (err) {
      throw catalogUnavailable(err);
    }
  }
}
