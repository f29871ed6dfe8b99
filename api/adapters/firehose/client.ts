import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { FirehoseClientConfig } from '@aws-sdk/client-firehose';

export interface FirehoseConnection {
  region: string;
  /** A Firehose-compatible endpoint (tests: the local stub). */
  endpoint?: string;
  /** Cap on one PutRecordBatch; the retry budget bounds the whole append. */
  requestTimeoutMs?: number;
  /** Static credentials (tests); the default provider chain otherwise. */
  credentials?: FirehoseClientConfig['credentials'];
}

/**
 * The client FirehoseDelivery expects: SDK retries off (maxAttempts 1), because the adapter resends
 * only the failed entries of a partial failure and keeps the whole append inside its retry budget,
 * which SDK retries of whole calls would do neither of.
 */
export function createFirehoseClient(config: FirehoseConnection): FirehoseClient {
  return new FirehoseClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: config.requestTimeoutMs ?? 3_000,
      throwOnRequestTimeout: true,
    },
  });
}
