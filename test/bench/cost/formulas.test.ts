import { describe, expect, it } from 'vitest';
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
} from '../../../bench/cost/formulas.js';
import { packLines } from '../../../api/adapters/firehose/pack.js';

const KB5 = 5 * 1024;
const MAX = 1000 * 1024;

describe('Firehose billing', () => {
  it('rounds a packed request up to the next 5 KB once, not once per line', () => {
    // 100 lines of 401 bytes = 40,100 bytes in one record → 8 increments.
    expect(packedBilledBytes(100, 401, MAX, KB5)).toBe(8 * KB5);
    expect(unpackedBilledBytes(100, 401, KB5)).toBe(100 * KB5);
  });

  it('bills exactly the bytes when they fill whole increments', () => {
    expect(packedBilledBytes(10, 512, MAX, KB5)).toBe(KB5);
  });

  it('starts a new record at 1,000 KiB, never splitting a line, and rounds each record', () => {
    // Two 600,000-byte lines cannot share a 1,024,000-byte record.
    expect(packedBilledBytes(2, 600_000, MAX, KB5)).toBe(2 * Math.ceil(600_000 / KB5) * KB5);
    // 3,000 lines of 1,000 bytes: 1,024 per record → records of 1,024,000, 1,024,000 and 952,000 bytes.
    expect(packedBilledBytes(3_000, 1_000, MAX, KB5)).toBe(
      1_024_000 + 1_024_000 + Math.ceil(952_000 / KB5) * KB5,
    );
  });

  it('agrees with the packer the ingest path uses', () => {
    for (const [lines, bytes] of [
      [100, 401],
      [3_000, 1_000],
      [7, 333_333],
    ] as const) {
      const line = Buffer.alloc(bytes, 0x61);
      line[bytes - 1] = 0x0a;
      const records = packLines(Buffer.concat(Array.from({ length: lines }, () => line)), MAX);
      const billed = records.reduce((s, r) => s + Math.ceil(r.length / KB5) * KB5, 0);
      expect(packedBilledBytes(lines, bytes, MAX, KB5)).toBe(billed);
    }
  });

  it('refuses a line no record can hold', () => {
    expect(() => packedBilledBytes(1, MAX + 1, MAX, KB5)).toThrow(/does not fit/);
  });
});

describe('Lambda duration', () => {
  it('stretches CPU work by the vCPU share below 1,769 MB and adds the waiting', () => {
    expect(lambdaDurationMs(10, 30, 1769)).toBe(40);
    expect(lambdaDurationMs(10, 30, 884.5)).toBe(50);
    // A single-threaded handler gets nothing from a second vCPU.
    expect(lambdaDurationMs(10, 30, 3538)).toBe(40);
  });

  it('bills GB-seconds as memory times duration', () => {
    expect(gbSeconds(1_000, 100, 1024)).toBe(100);
    expect(gbSeconds(1_000, 100, 512)).toBe(50);
  });
});

describe('ALB LCUs', () => {
  const base = { hours: 730, gbPerHour: 0.4, newPerSecond: 25, activePerMinute: 3000 };

  it('bills processed bytes when they dominate', () => {
    expect(
      lcuHours({ ...base, processedBytes: 292 * GB, newConnections: 0, activeConnections: 0 }),
    ).toBeCloseTo(730, 6);
  });

  it('bills the largest dimension each hour, not the sum', () => {
    const connections = lcuHours({
      ...base,
      processedBytes: 0,
      newConnections: 730 * 3600 * 50,
      activeConnections: 0,
    });
    expect(connections).toBeCloseTo(2 * 730, 6);
    expect(
      lcuHours({ ...base, processedBytes: 292 * GB, newConnections: 730 * 3600 * 50, activeConnections: 0 }),
    ).toBeCloseTo(connections, 6);
  });
});

describe('dynamic partitioning objects', () => {
  const month = { hours: 730, bufferIntervalSeconds: 60, bufferBytes: 64 * 2 ** 20 };

  it('flushes every interval when the buffer does not fill first', () => {
    expect(partitionObjects({ ...month, partitions: 10, bytesPerPartition: GB })).toEqual({
      objects: 10 * 730 * 60,
      bySize: false,
    });
  });

  it('flushes by size when a partition fills its buffer faster', () => {
    const bytes = 64 * 2 ** 20 * 100_000;
    expect(partitionObjects({ ...month, partitions: 1, bytesPerPartition: bytes })).toEqual({
      objects: 100_000,
      bySize: true,
    });
  });
});

describe('lake storage', () => {
  it('splits retention at the Glacier transition', () => {
    const m = storageMonths(12, 90);
    expect(m.standard).toBeCloseTo(90 / (365 / 12), 9);
    expect(m.standard + m.glacier).toBeCloseTo(12, 9);
  });

  it('keeps everything in Standard when records expire first', () => {
    expect(storageMonths(1, 90)).toEqual({ standard: 1, glacier: 0 });
  });
});

describe('DynamoDB write units', () => {
  it('counts 1 KB units, rounded up, at least one', () => {
    expect(writeUnits(100)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
  });
});
