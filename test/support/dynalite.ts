import { afterAll, beforeAll } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  createDynamoClient,
  ensureTable,
  startDynalite,
  type EmbeddedDynamo,
} from '../../api/adapters/dynamodb/index.js';

/**
 * An in-memory dynalite for the calling test file: started (and `tableName` created, when given) in
 * beforeAll, closed in afterAll. Call it at the top of the file, before any beforeAll that uses the
 * client: hooks run in the order they are registered. The getter throws if used before beforeAll ran.
 */
export function useDynalite(tableName?: string): () => DynamoDBClient {
  let dynamo: EmbeddedDynamo | undefined;
  let client: DynamoDBClient | undefined;
  beforeAll(async () => {
    dynamo = await startDynalite();
    client = createDynamoClient({ endpoint: dynamo.endpoint });
    if (tableName) await ensureTable(client, tableName);
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
  });
  return () => {
    if (!client) throw new Error('useDynalite: the client is ready only once beforeAll has run');
    return client;
  };
}
