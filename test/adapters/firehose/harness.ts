/** Shared wiring for the Firehose adapter tests: dynalite for receipts, the stub for Firehose, a fake clock. */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import dynalite from 'dynalite';
import {
  DynamoReceiptStore,
  FirehoseDelivery,
  createFirehoseClient,
} from '../../../api/adapters/firehose/index.js';
import type { FirehoseDeliveryOptions } from '../../../api/adapters/firehose/index.js';
import type { Counters, IngestBatch, Metrics, MinutePoint } from '../../../api/ports.js';
import { silentLogger } from '../../support/logger.js';
import { batchOfLines } from '../../support/ndjson.js';

export const RAW_STREAM = 'tributary-raw';
export const QUARANTINE_STREAM = 'tributary-quarantine';
const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

export interface Dynamo {
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** In-memory dynalite on loopback with one pk/sk table. */
export async function startDynamo(tableName: string): Promise<Dynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: CREDENTIALS,
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function stubClient(endpoint: string, requestTimeoutMs = 5_000): FirehoseClient {
  return createFirehoseClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, requestTimeoutMs });
}

/** Metrics that only remember what was added. */
export class RecordingMetrics implements Metrics {
  readonly adds: Array<{ tenant: string; stream: string; delta: Partial<Counters> }> = [];
  add(tenant: string, stream: string, delta: Partial<Counters>): void {
    this.adds.push({ tenant, stream, delta });
  }
  async series(): Promise<MinutePoint[]> {
    return [];
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A clock that only moves when the adapter sleeps, so backoff costs no real time. */
export class FakeClock {
  ms = Date.parse('2026-11-26T12:00:00.000Z');
  readonly sleeps: number[] = [];
  readonly now = (): number => this.ms;
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.ms += ms;
  };
}

export function makeDelivery(
  overrides: Partial<FirehoseDeliveryOptions> & Pick<FirehoseDeliveryOptions, 'client' | 'receipts'>,
): { delivery: FirehoseDelivery; clock: FakeClock; metrics: RecordingMetrics } {
  const clock = new FakeClock();
  const metrics = new RecordingMetrics();
  const delivery = new FirehoseDelivery({
    rawStreamName: RAW_STREAM,
    quarantineStreamName: QUARANTINE_STREAM,
    retryBudgetMs: 8_000,
    metrics,
    logger: silentLogger,
    random: () => 0.5,
    sleep: clock.sleep,
    now: clock.now,
    ...overrides,
  });
  return { delivery, clock, metrics };
}

/** A DynamoDB client whose endpoint refuses connections: a transient outage, not a misconfiguration. */
export function unreachableDynamo(): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
}

export function receiptStore(
  client: DynamoDBClient,
  tableName: string,
  now?: () => Date,
): DynamoReceiptStore {
  return new DynamoReceiptStore({ client, tableName, now });
}

let batchSeq = 0;

/** A batch of LakeRecord lines; `pad` grows each record's payload. */
export function makeBatch(opts: {
  records: number;
  rejects?: number;
  pad?: number;
  tenant?: string;
  stream?: string;
}): IngestBatch {
  const tenant = opts.tenant ?? 'acme';
  const stream = opts.stream ?? 'orders';
  const batchId = `b${String(++batchSeq).padStart(6, '0')}`;
  const receivedAt = '2026-11-26T12:00:00.000Z';
  const filler = 'x'.repeat(opts.pad ?? 0);
  const records = Array.from({ length: opts.records }, (_, i) =>
    JSON.stringify({
      _tenant: tenant,
      _stream: stream,
      _id: `${batchId}-${i}`,
      _batch_id: batchId,
      _index: i,
      _received_at: receivedAt,
      _schema_version: 1,
      record: { n: i, filler },
    }),
  );
  const rejects = Array.from({ length: opts.rejects ?? 0 }, (_, i) =>
    JSON.stringify({
      _tenant: tenant,
      _stream: stream,
      _batch_id: batchId,
      _index: opts.records + i,
      _received_at: receivedAt,
      _schema_version: 1,
      record: { bad: i },
      errors: [{ path: '/n', message: 'is required' }],
    }),
  );
  const buffering = { intervalSeconds: 1, sizeMiB: 5 };
  return batchOfLines({ tenant, stream, batchId, receivedAt, buffering }, records, rejects);
}

/** The NDJSON lines inside packed Firehose records, in order. */
export function linesOf(chunks: Buffer[]): string[] {
  return chunks.flatMap((c) => {
    const text = c.toString('utf8');
    return text.slice(0, -1).split('\n');
  });
}
