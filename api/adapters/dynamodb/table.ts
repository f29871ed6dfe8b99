import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';

/**
 * Single-table design. Items keep their document as JSON in `doc`, so the adapter never maps
 * attributes one by one; keys and the few attributes conditions need live beside it.
 *
 *   TENANTS               / <tenant>                  tenant
 *   KEY#<id>              / KEY                       api key (gsi1: TENANT#<t>#KEYS / <createdAt>#<id>)
 *   TENANT#<t>            / STREAM#<name>             stream (rev for optimistic locking)
 *   TENANT#<t>            / STREAMVER#<name>#<000001> stream schema version
 *   IDEM#<t>#<s>#<key>    / IDEM                      idempotency record (expiresAt TTL)
 *   METRIC#<t>#<s>        / <minute, 15 digits>       per-minute counters (ADD)
 *   TENANT#<t>            / ALERT#<id>                alert
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
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
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (let i = 0; i < 100; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
