import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { IdempotencyRecord, IdempotencyStore } from '../../ports.js';
import { catalogFailure, isConditionFailure } from './errors.js';
import { docItem, key, readDoc } from './item.js';

/** Kept 48 h: the promise is at least 24 h. DynamoDB's TTL deletes them; dynalite just keeps them. */
const RETENTION_SECONDS = 48 * 3600;

const secondsOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const expiresAtOf = (r: IdempotencyRecord) => ({ N: String(secondsOf(r.createdAt) + RETENTION_SECONDS) });

const pkOf = (r: Pick<IdempotencyRecord, 'tenant' | 'stream' | 'key'>) =>
  `IDEM#${r.tenant}#${r.stream}#${r.key}`;

/**
 * `tok` and `st` repeat the claim's token and state as top-level attributes so conditions can test
 * them; `doc` holds the record itself.
 */
const itemOf = (r: IdempotencyRecord) =>
  docItem(pkOf(r), 'IDEM', r, {
    expiresAt: expiresAtOf(r),
    st: { S: r.state },
    ...(r.token ? { tok: { S: r.token } } : {}),
  });

/**
 * The condition that `r` (a claim we read) still holds its key unchanged. Records written before
 * tokens existed are matched by their exact document instead. Undefined when `r` cannot hold it.
 */
function heldBy(r: IdempotencyRecord, state?: IdempotencyRecord['state']) {
  const values: Record<string, AttributeValue> = {};
  let expr: string;
  if (r.token) {
    expr = 'tok = :tok';
    values[':tok'] = { S: r.token };
    if (state) {
      expr += ' AND st = :st';
      values[':st'] = { S: state };
    }
  } else {
    // The document carries the state too.
    if (state && r.state !== state) return undefined;
    expr = 'attribute_not_exists(tok) AND doc = :doc';
    values[':doc'] = { S: JSON.stringify(r) };
  }
  return { ConditionExpression: expr, ExpressionAttributeValues: values };
}

/** The Powertools idempotency persistence layer on the single table, every write conditional. */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async claim(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    // A release can delete the holder between our failed put and our read: then claim again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: itemOf(record),
            // TTL deletion lags expiry by up to days: an expired record no longer holds its key.
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
            ExpressionAttributeValues: { ':now': { N: String(secondsOf(record.createdAt)) } },
          }),
        );
        return undefined;
      } catch (err) {
        if (!isConditionFailure(err)) throw catalogFailure(err);
      }
      let holder: IdempotencyRecord | undefined;
      try {
        const out = await this.client.send(
          new GetItemCommand({ TableName: this.table, Key: key(pkOf(record), 'IDEM'), ConsistentRead: true }),
        );
        holder = readDoc<IdempotencyRecord>(out.Item);
      } catch (err) {
        throw catalogFailure(err);
      }
      if (holder) return holder;
    }
    throw catalogFailure(new Error('the idempotency key changed hands three times while claiming it'));
  }

  async takeOver(stale: IdempotencyRecord, next: IdempotencyRecord): Promise<boolean> {
    return this.conditionalPut(next, heldBy(stale, 'pending'));
  }

  async complete(record: IdempotencyRecord): Promise<boolean> {
    return this.conditionalPut(record, heldBy(record));
  }

  async release(record: IdempotencyRecord): Promise<void> {
    const condition = heldBy(record, 'pending');
    if (!condition) return;
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: key(pkOf(record), 'IDEM'),
          ...condition,
        }),
      );
    } catch (err) {
      // Someone else holds the key now (they took over a claim we held too long): theirs stays.
      if (!isConditionFailure(err)) throw catalogFailure(err);
    }
  }

  private async conditionalPut(
    record: IdempotencyRecord,
    condition: ReturnType<typeof heldBy>,
  ): Promise<boolean> {
    if (!condition) return false;
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.table, Item: itemOf(record), ...condition }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw catalogFailure(err);
    }
  }
}
