/**
 * What the cost model takes from measurement rather than from a price list: the Lambda bundle's CPU per
 * ingest request and the lake line's envelope, from `npm run bench:lambda` (BENCHMARKS.md, "Lambda
 * bundle"). Update these with the section when the bench is re-run.
 */
export interface CpuPoint {
  records: number;
  recordBytes: number;
  bodyBytes: number;
  cpuMs: number;
}

export const MEASURED = {
  source: 'BENCHMARKS.md, Lambda bundle section',
  at: '2026-12-01',
  /**
   * Mean CPU ms per warm ingest request of `records` records of `recordBytes` bytes (body `bodyBytes`).
   * On the shared 2-core machine runs differ by about 2 ms and the two sizes by less, so their order
   * flips from run to run: the interpolation below flattens a downward slope.
   */
  cpuPerRequest: [
    { records: 100, recordBytes: 200, bodyBytes: 20_101, cpuMs: 8.03 },
    { records: 100, recordBytes: 1000, bodyBytes: 100_101, cpuMs: 7.9 },
  ] as readonly CpuPoint[],
  /**
   * Bytes a lake line adds to the record as sent (the `_tenant`, `_stream`, `_batch_id`, `_received_at`,
   * `_schema_version` envelope and the newline): Firehose records of 100 lines measured 40,141 bytes for
   * 200-byte records and 120,218 for 1,000-byte ones.
   */
  lineOverheadBytes: 201,
} as const;

/**
 * CPU ms per request for a body of `bodyBytes`, on the line through the two measurements: a part per
 * request plus a part per byte. A downward slope can only be noise (a shared machine), so it is
 * flattened to the smaller body's figure.
 */
export function cpuMsPerRequest(
  bodyBytes: number,
  points: readonly CpuPoint[] = MEASURED.cpuPerRequest,
): number {
  const [a, b] = [...points].sort((x, y) => x.bodyBytes - y.bodyBytes);
  if (!a || !b) throw new Error('two measurements are needed');
  const perByte = Math.max(0, (b.cpuMs - a.cpuMs) / (b.bodyBytes - a.bodyBytes));
  const fixed = a.cpuMs - perByte * a.bodyBytes;
  return fixed + perByte * bodyBytes;
}
