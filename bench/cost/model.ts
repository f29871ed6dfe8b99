/**
 * The AWS-mode cost of ingesting `records` records in a month: every service the stack runs, priced from
 * bench/cost/prices.ts with the Lambda CPU measured by `npm run bench:lambda` (bench/cost/measured.ts).
 * docs/cost.md explains the assumptions; `npm run cost` prints the table.
 */
import {
  GB,
  gbSeconds,
  lambdaDurationMs,
  lcuHours,
  packedBilledBytes,
  partitionObjects,
  storageMonths,
  unpackedBilledBytes,
  writeUnits,
} from './formulas.js';
import type { CostInputs } from './inputs.js';
import { PRICES, type Prices } from './prices.js';

export { defaultInputs, type CostInputs } from './inputs.js';

export interface CostLine {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  cost: number;
  /** Independent of the record count (paid for the period). */
  fixed: boolean;
  note?: string;
}

export interface CostReport {
  inputs: CostInputs;
  lines: CostLine[];
  /** What Firehose ingestion would cost without packing lines into records: shown, not added. */
  unpackedFirehose: number;
  variable: number;
  fixed: number;
  total: number;
  perMillionVariable: number;
}

const DYNAMO_CATALOG_READS_PER_REFRESH = 3; // key, tenant, stream
const TICK_READS_PER_STREAM = 6; // cursor, minute counters, alerts
const TICK_WRITES_PER_STREAM = 2; // load counters, cursor
const RECEIPT_BYTES = 600;
const IDEMPOTENCY_BYTES = 900;
const METRIC_ITEM_BYTES = 300;

export function costModel(inputs: CostInputs, prices: Prices = PRICES): CostReport {
  const i = inputs;
  const requests = i.records / i.recordsPerRequest;
  const bodyBytes = i.recordsPerRequest * (i.recordBytes + 1) + 1;
  const lineBytes = i.recordBytes + i.lineOverheadBytes;
  const lakeBytes = i.records * lineBytes;
  const compressedGb = (lakeBytes * i.compressionRatio) / GB;
  const ticks = i.hours * 60;
  const lines: CostLine[] = [];
  const add = (l: CostLine) => lines.push(l);
  const p = prices;

  // Lambda
  const ingestMs = lambdaDurationMs(i.cpuMsPerRequest, i.ioWaitMsPerRequest, i.lambdaMemoryMb);
  const tickSeconds = 1 + 0.2 * i.streams;
  add({
    service: 'Lambda',
    item: 'ingest requests',
    quantity: requests,
    unit: 'requests',
    cost: requests * p.lambdaRequest.value,
    fixed: false,
  });
  const ingestGbs = gbSeconds(requests, ingestMs, i.lambdaMemoryMb);
  add({
    service: 'Lambda',
    item: `ingest duration (${ingestMs.toFixed(1)} ms at ${i.lambdaMemoryMb} MB: ${i.cpuMsPerRequest.toFixed(2)} CPU ms + ${i.ioWaitMsPerRequest} ms waiting)`,
    quantity: ingestGbs,
    unit: 'GB-s',
    cost: ingestGbs * p.lambdaArmGbSecond.value,
    fixed: false,
  });
  const tickGbs = gbSeconds(ticks, tickSeconds * 1000, i.lambdaMemoryMb);
  add({
    service: 'Lambda',
    item: `monitoring tick every minute (${tickSeconds.toFixed(1)} s each)`,
    quantity: tickGbs,
    unit: 'GB-s',
    cost: tickGbs * p.lambdaArmGbSecond.value + ticks * p.lambdaRequest.value,
    fixed: true,
  });

  // Application Load Balancer
  add({
    service: 'ALB',
    item: 'load balancer hours',
    quantity: i.hours,
    unit: 'hours',
    cost: i.hours * p.albHour.value,
    fixed: true,
  });
  const lcu = lcuHours({
    hours: i.hours,
    processedBytes: requests * (bodyBytes + i.httpOverheadBytes + i.responseBytes),
    newConnections: requests * i.newConnectionShare,
    activeConnections: i.producerConnections,
    gbPerHour: p.albLcuLambdaGbPerHour.value,
    newPerSecond: p.albLcuNewConnectionsPerSecond.value,
    activePerMinute: p.albLcuActiveConnectionsPerMinute.value,
  });
  add({
    service: 'ALB',
    item: 'LCUs (processed bytes: 0.4 GB an hour each for Lambda targets)',
    quantity: lcu,
    unit: 'LCU-hours',
    cost: lcu * p.albLcuHour.value,
    fixed: false,
  });
  add({
    service: 'VPC',
    item: 'public IPv4 addresses of the ALB (two zones)',
    quantity: 2 * i.hours,
    unit: 'address-hours',
    cost: 2 * i.hours * p.publicIpv4Hour.value,
    fixed: true,
  });

  // Firehose
  const increment = p.firehoseBillingIncrementBytes.value;
  const billed = requests * packedBilledBytes(i.recordsPerRequest, lineBytes, 1000 * 1024, increment);
  add({
    service: 'Firehose',
    item: 'ingestion (lines packed into ≤1,000 KiB records, 5 KB rounding)',
    quantity: billed / GB,
    unit: 'GB billed',
    cost: (billed / GB) * p.firehoseIngestGb.value,
    fixed: false,
  });
  const unpackedFirehose =
    (unpackedBilledBytes(i.records, lineBytes, increment) / GB) * p.firehoseIngestGb.value;
  add({
    service: 'Firehose',
    item: 'dynamic partitioning, data',
    quantity: lakeBytes / GB,
    unit: 'GB',
    cost: (lakeBytes / GB) * p.firehoseDynamicPartitioningGb.value,
    fixed: false,
  });
  const { objects, bySize } = partitionObjects({
    partitions: i.streams,
    bytesPerPartition: lakeBytes / i.streams,
    hours: i.hours,
    bufferIntervalSeconds: i.bufferIntervalSeconds,
    bufferBytes: i.bufferMiB * 2 ** 20,
  });
  add({
    service: 'Firehose',
    item: `dynamic partitioning, objects (${i.bufferIntervalSeconds} s / ${i.bufferMiB} MiB buffers)`,
    quantity: objects,
    unit: 'objects',
    cost: objects * p.firehoseDynamicPartitioningObject.value,
    fixed: !bySize,
  });
  add({
    service: 'Firehose',
    item: 'JQ processing hours (partition keys)',
    quantity: 0,
    unit: 'hours',
    cost: 0,
    fixed: false,
    note: `not modelled: $${p.firehoseJqHour.value} per hour of JQ time, which AWS meters and states no rate per GB for`,
  });

  // S3
  const months = storageMonths(i.retentionMonths, i.glacierAfterDays);
  add({
    service: 'S3',
    item: 'PUTs (Firehose objects)',
    quantity: objects,
    unit: 'requests',
    cost: objects * p.s3Put.value,
    fixed: !bySize,
  });
  add({
    service: 'S3',
    item: 'GETs (Snowpipe reads each object)',
    quantity: objects,
    unit: 'requests',
    cost: objects * p.s3Get.value,
    fixed: !bySize,
  });
  add({
    service: 'S3',
    item: `Standard storage, gzip (${months.standard.toFixed(1)} months)`,
    quantity: compressedGb * months.standard,
    unit: 'GB-months',
    cost: compressedGb * months.standard * p.s3StandardGbMonth.value,
    fixed: false,
  });
  if (months.glacier > 0) {
    add({
      service: 'S3',
      item: `Glacier transition after ${i.glacierAfterDays} days`,
      quantity: objects,
      unit: 'requests',
      cost: objects * p.s3GlacierTransition.value,
      fixed: !bySize,
    });
    const overheadGb = (objects * p.s3GlacierObjectOverheadKb.value * 1024) / GB;
    const glacierGbMonths = (compressedGb + overheadGb * 0.8) * months.glacier;
    add({
      service: 'S3',
      item: `Glacier Flexible Retrieval storage (${months.glacier.toFixed(1)} months)`,
      quantity: glacierGbMonths,
      unit: 'GB-months',
      cost:
        glacierGbMonths * p.s3GlacierGbMonth.value +
        overheadGb * 0.2 * months.glacier * p.s3StandardGbMonth.value,
      fixed: false,
    });
  }
  const albLogGb = (requests * 500 * i.compressionRatio) / GB;
  add({
    service: 'S3',
    item: 'ALB access logs, gzip, kept 365 days',
    quantity: albLogGb * 12,
    unit: 'GB-months',
    cost: albLogGb * 12 * p.s3StandardGbMonth.value,
    fixed: false,
  });

  // DynamoDB
  const ingestWrites =
    requests *
    (writeUnits(RECEIPT_BYTES) +
      writeUnits(METRIC_ITEM_BYTES) +
      i.idempotentShare * 2 * writeUnits(IDEMPOTENCY_BYTES));
  const tickWrites = ticks * i.streams * TICK_WRITES_PER_STREAM;
  add({
    service: 'DynamoDB',
    item: `writes: receipt, minute counters, idempotency (${Math.round(i.idempotentShare * 100)}% of requests), tick`,
    quantity: ingestWrites + tickWrites,
    unit: 'WRU',
    cost: (ingestWrites + tickWrites) * p.dynamodbWriteUnit.value,
    fixed: false,
    note: `$${(tickWrites * p.dynamodbWriteUnit.value).toFixed(2)} of it is the monitoring tick`,
  });
  const reads =
    i.containers * i.hours * 360 * DYNAMO_CATALOG_READS_PER_REFRESH +
    ticks * (2 + i.streams * TICK_READS_PER_STREAM);
  add({
    service: 'DynamoDB',
    item: 'reads: catalog every 10 s per container; tick',
    quantity: reads,
    unit: 'RRU',
    cost: reads * p.dynamodbReadUnit.value,
    fixed: true,
  });
  const perHour = requests / i.hours;
  const liveGb =
    (perHour * 24 * 7 * RECEIPT_BYTES +
      perHour * 48 * i.idempotentShare * IDEMPOTENCY_BYTES +
      i.streams * 60 * 24 * 8 * METRIC_ITEM_BYTES) /
    GB;
  add({
    service: 'DynamoDB',
    item: 'storage + PITR (receipts 7 d, idempotency 48 h, counters 8 d)',
    quantity: liveGb,
    unit: 'GB',
    cost: liveGb * (p.dynamodbStorageGbMonth.value + p.dynamodbPitrGbMonth.value) * (i.hours / 730),
    fixed: false,
  });

  // CloudWatch
  const logGb = ((requests + ticks) * i.logBytesPerInvocation) / GB;
  add({
    service: 'CloudWatch',
    item: 'Lambda logs (platform lines, EMF metrics)',
    quantity: logGb,
    unit: 'GB',
    cost:
      logGb * p.cloudwatchLogsIngestGb.value +
      logGb * i.compressionRatio * p.cloudwatchLogsStorageGbMonth.value,
    fixed: false,
  });
  add({
    service: 'CloudWatch',
    item: 'custom metrics (EMF)',
    quantity: i.customMetrics,
    unit: 'metrics',
    cost: i.customMetrics * p.cloudwatchMetricMonth.value * (i.hours / 730),
    fixed: true,
  });
  add({
    service: 'CloudWatch',
    item: 'alarms',
    quantity: i.alarms,
    unit: 'alarms',
    cost: i.alarms * p.cloudwatchAlarmMonth.value * (i.hours / 730),
    fixed: true,
  });
  add({
    service: 'KMS / Secrets',
    item: 'lake and alarm-topic keys, Snowflake key secret',
    quantity: 3,
    unit: 'items',
    cost: (2 * p.kmsKeyMonth.value + p.secretMonth.value) * (i.hours / 730),
    fixed: true,
  });
  const outGb = (requests * i.responseBytes) / GB;
  add({
    service: 'Data transfer',
    item: 'responses to producers (100 GB a month free)',
    quantity: outGb,
    unit: 'GB',
    cost: Math.max(0, outGb - 100) * p.dataTransferOutGb.value,
    fixed: false,
  });

  // Snowflake
  if (i.snowpipeBilling === 'per-gb') {
    const credits = (lakeBytes / GB) * p.snowpipeCreditsPerGb.value;
    add({
      service: 'Snowflake',
      item: 'Snowpipe (per GB of uncompressed NDJSON)',
      quantity: credits,
      unit: 'credits',
      cost: credits * i.creditPrice,
      fixed: false,
    });
  } else {
    const credits = objects * p.snowpipeLegacyCreditsPerFile.value;
    add({
      service: 'Snowflake',
      item: 'Snowpipe per-file charge (older billing)',
      quantity: credits,
      unit: 'credits',
      cost: credits * i.creditPrice,
      fixed: !bySize,
      note: 'plus Snowpipe compute, not modelled (PIPE_USAGE_HISTORY shows it)',
    });
  }
  const warehouseCredits = i.hours * i.warehouseActiveShare * i.warehouseCreditsPerHour;
  add({
    service: 'Snowflake',
    item: 'warehouse kept resumed (1-minute target lags, minute COPY_HISTORY tick)',
    quantity: warehouseCredits,
    unit: 'credits',
    cost: warehouseCredits * i.creditPrice,
    fixed: true,
  });
  const tableTbMonths = (compressedGb * i.snowflakeCopies * i.retentionMonths) / 1024;
  add({
    service: 'Snowflake',
    item: `table storage (raw + deduped, ${i.retentionMonths} months)`,
    quantity: tableTbMonths,
    unit: 'TB-months',
    cost: tableTbMonths * p.snowflakeStorageTbMonth.value,
    fixed: false,
  });

  const variable = lines.filter((l) => !l.fixed).reduce((s, l) => s + l.cost, 0);
  const fixed = lines.filter((l) => l.fixed).reduce((s, l) => s + l.cost, 0);
  return {
    inputs,
    lines,
    unpackedFirehose,
    variable,
    fixed,
    total: variable + fixed,
    perMillionVariable: (variable / i.records) * 1e6,
  };
}
