/**
 * Packing NDJSON lines into Firehose records and records into PutRecordBatch calls. Firehose bills
 * every record rounded up to 5 KB, so many small lines share one record; the service's hard limits
 * bound how far that goes.
 */
import { PayloadTooLargeError } from '../../domain/errors.js';

export interface FirehoseLimits {
  /** One record's data, before base64 (AWS: 1,000 KiB). */
  maxRecordBytes: number;
  /** Records in one PutRecordBatch (AWS: 500). */
  maxRecordsPerCall: number;
  /** Sum of the records' data in one PutRecordBatch (AWS: 4 MiB). */
  maxBytesPerCall: number;
}

export const FIREHOSE_LIMITS: FirehoseLimits = {
  maxRecordBytes: 1000 * 1024,
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
};

/**
 * Packs the newline-terminated lines of an NDJSON block greedily, in order, into chunks of at most
 * `maxRecordBytes` (slices of the block, not copies). A line is never split; one that cannot fit a
 * record even alone is refused before anything is sent.
 */
export function packLines(block: Buffer, maxRecordBytes: number): Buffer[] {
  const chunks: Buffer[] = [];
  let first = 0;
  let at = 0;
  while (at < block.length) {
    const nl = block.indexOf(0x0a, at);
    const next = nl === -1 ? block.length : nl + 1;
    const bytes = next - at;
    if (bytes > maxRecordBytes) {
      throw new PayloadTooLargeError(
        'maxRecordBytes',
        maxRecordBytes - 1,
        `A serialized record of ${bytes - 1} bytes exceeds the ${maxRecordBytes - 1}-byte limit of one Firehose record`,
      );
    }
    if (next - first > maxRecordBytes) {
      chunks.push(block.subarray(first, at));
      first = at;
    }
    at = next;
  }
  if (at > first) chunks.push(block.subarray(first, at));
  return chunks;
}

/** Splits items (in order) into groups that each fit one PutRecordBatch call. */
export function planCalls<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: FirehoseLimits,
): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (
      current.length > 0 &&
      (current.length >= limits.maxRecordsPerCall || bytes + size > limits.maxBytesPerCall)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
