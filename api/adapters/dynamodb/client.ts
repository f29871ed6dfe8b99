import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export function createDynamoClient(opts: { region?: string; endpoint?: string }): DynamoDBClient {
  return new DynamoDBClient({
    region: opts.region ?? 'local',
    endpoint: opts.endpoint,
    // Embedded dynalite ignores signatures; real DynamoDB uses the default credential chain.
    ...(opts.endpoint?.startsWith('http://127.0.0.1')
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 3,
  });
}
