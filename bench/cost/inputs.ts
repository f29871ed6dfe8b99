/** The cost model's inputs and their defaults (docs/cost.md explains each). */
import { MEASURED, cpuMsPerRequest } from './measured.js';
import { PRICES } from './prices.js';

export interface CostInputs {
  records: number;
  /** Bytes of one record as the producer sends it (JSON). */
  recordBytes: number;
  recordsPerRequest: number;
  /** The period the records arrive in, evenly; fixed costs are for this long. */
  hours: number;
  /** Active tenant streams: Firehose partitions, pipes, dynamic tables. */
  streams: number;
  lambdaMemoryMb: number;
  /** CPU per ingest request; by default from the bench, for this body size. */
  cpuMsPerRequest: number;
  /** Time an ingest request waits on Firehose and DynamoDB (not measurable locally). */
  ioWaitMsPerRequest: number;
  /** Envelope bytes a lake line adds to the record. */
  lineOverheadBytes: number;
  /** Compressed (gzip, and Snowflake's columnar) size over raw size. */
  compressionRatio: number;
  /** Share of ingest requests that carry an Idempotency-Key. */
  idempotentShare: number;
  glacierAfterDays: number;
  /** How long the lake and the tables keep this month's records. */
  retentionMonths: number;
  bufferIntervalSeconds: number;
  bufferMiB: number;
  snowpipeBilling: 'per-gb' | 'per-file';
  creditPrice: number;
  warehouseCreditsPerHour: number;
  /** Share of the period the warehouse runs: 1 when the minute tick and 1-minute target lags keep it resumed. */
  warehouseActiveShare: number;
  /** Copies of each record in Snowflake: raw plus the deduped dynamic table. */
  snowflakeCopies: number;
  /** Warm Lambda containers (each re-reads keys and streams every 10 s). */
  containers: number;
  /** Producers' connections open at once, and the share of requests that open a new one. */
  producerConnections: number;
  newConnectionShare: number;
  /** Bytes around each body through the load balancer: request headers and the response. */
  httpOverheadBytes: number;
  responseBytes: number;
  /** CloudWatch log bytes per invocation: the platform's START/END/REPORT lines and the EMF metrics line. */
  logBytesPerInvocation: number;
  customMetrics: number;
  alarms: number;
}

export function defaultInputs(records: number, recordBytes: number, recordsPerRequest = 100): CostInputs {
  const bodyBytes = recordsPerRequest * (recordBytes + 1) + 1;
  return {
    records,
    recordBytes,
    recordsPerRequest,
    hours: 730,
    streams: 10,
    lambdaMemoryMb: 1024,
    cpuMsPerRequest: cpuMsPerRequest(bodyBytes),
    ioWaitMsPerRequest: 30,
    lineOverheadBytes: MEASURED.lineOverheadBytes,
    compressionRatio: 0.2,
    idempotentShare: 1,
    glacierAfterDays: 90,
    retentionMonths: 12,
    bufferIntervalSeconds: 60,
    bufferMiB: 64,
    snowpipeBilling: 'per-gb',
    creditPrice: PRICES.snowflakeCreditEnterprise.value,
    warehouseCreditsPerHour: PRICES.snowflakeXsCreditsPerHour.value,
    warehouseActiveShare: 1,
    snowflakeCopies: 2,
    containers: 3,
    producerConnections: 50,
    newConnectionShare: 0.01,
    httpOverheadBytes: 700,
    responseBytes: 450,
    logBytesPerInvocation: 900,
    // The stack with the EMF metrics (main since the awsrt merge): nine stream counters and three answer
    // classes, with the service as their only dimension; fourteen alarms.
    customMetrics: 12,
    alarms: 14,
  };
}
