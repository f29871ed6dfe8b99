import { PutItemCommand, QueryCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AbstractLevel } from 'abstract-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  ensureTable,
  startDynalite,
  type EmbeddedDynamo,
} from '../../../api/adapters/dynamodb/index.js';
import { removeDir, tempDir } from '../../support/temp-dir.js';

/**
 * Counts the iterators (and other resources) LevelDB databases hold open: abstract-level attaches each
 * one to its database until it is closed.
 */
function countOpenResources(): { open: () => number; restore: () => void } {
  // Declared as function-typed properties: they are taken off the prototype and called with its `this`.
  const proto = AbstractLevel.prototype as unknown as {
    attachResource: (this: unknown, r: unknown) => void;
    detachResource: (this: unknown, r: unknown) => void;
  };
  const { attachResource, detachResource } = proto;
  let open = 0;
  proto.attachResource = function (r) {
    open++;
    attachResource.call(this, r);
  };
  proto.detachResource = function (r) {
    open--;
    detachResource.call(this, r);
  };
  return {
    open: () => open,
    restore: () => Object.assign(proto, { attachResource, detachResource }),
  };
}

const TABLE = 'iterators';

// On disk, as `npm start` runs it (classic-level); the in-memory store's iterators never leaked.
describe('embedded dynalite on disk', () => {
  let dir: string;
  let dynamo: EmbeddedDynamo;
  let client: DynamoDBClient;
  const counter = countOpenResources();

  beforeAll(async () => {
    dir = await tempDir('tributary-level-');
    dynamo = await startDynalite(dir);
    client = createDynamoClient({ endpoint: dynamo.endpoint });
    await ensureTable(client, TABLE);
    for (let i = 0; i < 30; i++) {
      await client.send(
        new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'p' }, sk: { S: `s${i}` } } }),
      );
    }
  });
  afterAll(async () => {
    counter.restore();
    client.destroy();
    await dynamo.close();
    await removeDir(dir);
  });

  it('closes the iterators behind every Query and Scan, read to the end or cut by Limit', async () => {
    const before = counter.open();
    const query = {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': { S: 'p' } },
    };
    for (let i = 0; i < 50; i++) {
      const all = await client.send(new QueryCommand(query));
      expect(all.Items).toHaveLength(30);
      const page = await client.send(new QueryCommand({ ...query, Limit: 5 }));
      expect(page.Items).toHaveLength(5);
      await client.send(new ScanCommand({ TableName: TABLE, Limit: 7 }));
    }
    // Closing is asynchronous: it may finish just after the answer went out.
    await new Promise((r) => setTimeout(r, 50));
    expect(counter.open() - before).toBe(0);
  });
});
