/**
 * The cost model's formulas, one billing rule each, pure and unit-tested (test/bench/cost). model.ts
 * applies them to a month of traffic.
 */

export const GB = 2 ** 30;
/** Lambda gives a function one full vCPU at 1,769 MB and a proportional share below. */
export const FULL_VCPU_MIB = 1769;

/**
 * Bytes Firehose bills for one request's NDJSON block of `lines` lines of `lineBytes` each, packed the
 * way api/adapters/firehose/pack.ts packs them: greedily, whole lines, at most `maxRecordBytes` per
 * record, each record then rounded up to `increment` (5 KB).
 */
export function packedBilledBytes(
  lines: number,
  lineBytes: number,
  maxRecordBytes: number,
  increment: number,
): number {
  const round = (bytes: number) => Math.ceil(bytes / increment) * increment;
  if (lineBytes > maxRecordBytes)
    throw new Error(`a ${lineBytes}-byte line does not fit one Firehose record`);
  const perRecord = Math.floor(maxRecordBytes / lineBytes);
  const full = Math.floor(lines / perRecord);
  const rest = lines - full * perRecord;
  return full * round(perRecord * lineBytes) + (rest > 0 ? round(rest * lineBytes) : 0);
}

/** The same lines sent one Firehose record each, as a producer that does not pack would. */
export function unpackedBilledBytes(lines: number, lineBytes: number, increment: number): number {
  return lines * Math.ceil(lineBytes / increment) * increment;
}

/**
 * Billed duration of one invocation: the CPU work stretched by the CPU share of the memory setting
 * (the handler is single-threaded, so memory past one vCPU buys nothing), plus the time spent waiting
 * on DynamoDB and Firehose.
 */
export function lambdaDurationMs(cpuMs: number, ioWaitMs: number, memoryMiB: number): number {
  return cpuMs * Math.max(1, FULL_VCPU_MIB / memoryMiB) + ioWaitMs;
}

export function gbSeconds(invocations: number, durationMs: number, memoryMiB: number): number {
  return invocations * (durationMs / 1000) * (memoryMiB / 1024);
}

export interface LcuDimensions {
  hours: number;
  /** Request and response bytes through the load balancer over the period. */
  processedBytes: number;
  newConnections: number;
  /** Connections open at once (per minute), on average. */
  activeConnections: number;
  /** Dimension sizes of one LCU. */
  gbPerHour: number;
  newPerSecond: number;
  activePerMinute: number;
}

/**
 * LCU-hours for traffic spread evenly over the period: each hour bills the largest dimension (rule
 * evaluations stay free with the stack's single rule, under ten).
 */
export function lcuHours(d: LcuDimensions): number {
  const perHour = Math.max(
    d.processedBytes / GB / d.hours / d.gbPerHour,
    d.newConnections / (d.hours * 3600) / d.newPerSecond,
    d.activeConnections / d.activePerMinute,
  );
  return perHour * d.hours;
}

/**
 * Objects Firehose writes with dynamic partitioning: each partition (tenant/stream, and the hour in the
 * prefix) flushes when its buffer fills or its interval passes, whichever comes first. `bySize` tells
 * whether volume or time sets the count (only then do per-object costs grow with the records).
 */
export function partitionObjects(opts: {
  partitions: number;
  bytesPerPartition: number;
  hours: number;
  bufferIntervalSeconds: number;
  bufferBytes: number;
}): { objects: number; bySize: boolean } {
  const byTime = Math.ceil((opts.hours * 3600) / opts.bufferIntervalSeconds);
  const bySize = Math.ceil(opts.bytesPerPartition / opts.bufferBytes);
  return { objects: opts.partitions * Math.max(byTime, bySize, opts.hours), bySize: bySize > byTime };
}

/** Months an object spends in S3 Standard and then in Glacier, for a lifecycle transition after `glacierAfterDays`. */
export function storageMonths(
  retentionMonths: number,
  glacierAfterDays: number,
): { standard: number; glacier: number } {
  const standard = Math.min(retentionMonths, glacierAfterDays / (365 / 12));
  return { standard, glacier: retentionMonths - standard };
}

/** DynamoDB write units of one write: 1 KB each, rounded up. */
export function writeUnits(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / 1024));
}
