import { type DynamoDBClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { catalogFailure } from './errors.js';
import type { Item } from './item.js';

/** Every item a query matches, page after page; DynamoDB failures become domain errors (catalogFailure). */
export async function queryAll(client: DynamoDBClient, input: QueryCommandInput): Promise<Item[]> {
  const out: Item[] = [];
  let start: Item | undefined;
  try {
    do {
      const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
  } catch (err) {
    throw catalogFailure(err);
  }
  return out;
}
