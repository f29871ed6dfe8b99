import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { catalogTableDefinition, type TableDefinition } from './table-definition.js';

/**
 * Creates the table from its definition unless it exists (local mode and tests; in AWS the stack owns
 * it). The TTL attribute is left to the stack: dynalite neither enables TTL nor expires items.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  definition: TableDefinition = catalogTableDefinition,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException) && (err as Error).name !== 'ResourceNotFoundException')
      throw err;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: definition.billingMode,
      AttributeDefinitions: definition.attributeDefinitions,
      KeySchema: definition.keySchema,
      ...(definition.globalSecondaryIndexes.length
        ? { GlobalSecondaryIndexes: definition.globalSecondaryIndexes }
        : {}),
    }),
  );
  for (let i = 0; i < 100; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
