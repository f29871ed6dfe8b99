import { randomBytes } from 'node:crypto';
import type { ProducerOptions } from './producer-types.js';
import type { RetryPolicy } from './retry.js';

export interface ProducerSettings {
  maxBatchRecords: number;
  maxBatchBytes: number;
  lingerMs: number;
  gzip: boolean;
  gzipMinBytes: number;
  gzipLevel: number;
  maxQueueBytes: number;
  maxInFlight: number;
  maxSpoolBytes: number;
  spoolSegmentBytes?: number;
  deliveryTimeoutMs: number;
  producerId: string;
  retry: RetryPolicy;
}

/** The API's identifier rule (api/domain/identifiers.ts; a test keeps the two equal). */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
/** Idempotency-Key characters, less the dot that separates the key's parts. */
const KEY_PART = /^[A-Za-z0-9_:-]{1,64}$/;

/** Options with their defaults; a bad one throws a RangeError or TypeError naming it. */
export function settingsOf(o: ProducerOptions): ProducerSettings {
  for (const field of ['tenant', 'stream'] as const) {
    if (typeof o[field] !== 'string' || !NAME_PATTERN.test(o[field])) {
      throw new TypeError(
        `producer option ${field} must match ${NAME_PATTERN.source}; got ${JSON.stringify(o[field])}`,
      );
    }
  }
  if (o.producerId !== undefined && !KEY_PART.test(o.producerId)) {
    throw new TypeError(`producer option producerId must match ${KEY_PART.source}`);
  }
  const spooling = o.spoolDir !== undefined;
  const s: ProducerSettings = {
    maxBatchRecords: int('maxBatchRecords', o.maxBatchRecords, 500, 1, 10_000),
    maxBatchBytes: int('maxBatchBytes', o.maxBatchBytes, 1_000_000, 64, 64 * 2 ** 20),
    lingerMs: int('lingerMs', o.lingerMs, 50, 0, 3_600_000),
    gzip: o.gzip ?? true,
    gzipMinBytes: int('gzipMinBytes', o.gzipMinBytes, 16 * 1024, 0, Number.MAX_SAFE_INTEGER),
    gzipLevel: int('gzipLevel', o.gzipLevel, 3, 1, 9),
    maxQueueBytes: int('maxQueueBytes', o.maxQueueBytes, 32 * 2 ** 20, 64, Number.MAX_SAFE_INTEGER),
    maxInFlight: int('maxInFlight', o.maxInFlight, 4, 1, 256),
    maxSpoolBytes: int('maxSpoolBytes', o.maxSpoolBytes, 2 ** 30, 1, Number.MAX_SAFE_INTEGER),
    spoolSegmentBytes:
      o.spoolSegmentBytes === undefined
        ? undefined
        : int('spoolSegmentBytes', o.spoolSegmentBytes, 0, 1, Number.MAX_SAFE_INTEGER),
    deliveryTimeoutMs: int(
      'deliveryTimeoutMs',
      o.deliveryTimeoutMs,
      spooling ? 30_000 : 300_000,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    producerId:
      o.producerId ??
      randomBytes(9)
        .toString('base64url')
        .replace(/[^A-Za-z0-9]/g, 'x'),
    retry: {
      baseDelayMs: int('retry.baseDelayMs', o.retry?.baseDelayMs, 100, 1, 3_600_000),
      maxDelayMs: int('retry.maxDelayMs', o.retry?.maxDelayMs, 20_000, 1, 3_600_000),
    },
  };
  if (s.spoolSegmentBytes === undefined) delete s.spoolSegmentBytes;
  return s;
}

function int(name: string, value: number | undefined, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`producer option ${name} must be an integer from ${min} to ${max}; got ${value}`);
  }
  return value;
}
