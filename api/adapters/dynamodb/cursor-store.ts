import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { CursorStore, LoadCursor } from '../../ports.js';
import { catalogFailure } from './errors.js';
import { docItem, key, readDoc } from './item.js';

/** Poller cursors: one item each at CURSOR#<name>. */
export class DynamoCursorStore implements CursorStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async get(name: string): Promise<LoadCursor | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: key(`CURSOR#${name}`, 'CURSOR'),
          ConsistentRead: true,
        }),
      );
      return readDoc<LoadCursor>(out.Item);
    } catch (err) {
      throw catalogFailure(err);
    }
  }

  async put(name: string, cursor: LoadCursor): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.table, Item: docItem(`CURSOR#${name}`, 'CURSOR', cursor) }),
      );
    } catch (err) {
      throw catalogFailure(err);
    }
  }
}
