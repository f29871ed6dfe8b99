import { createHash, randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;

/**
 * Batch ids: ULID-shaped (26 Crockford base32 chars: 48-bit millisecond time, then 80 random bits).
 * Within one generator they strictly increase even inside one millisecond or when the clock steps
 * back: the time never goes below the last one used and the random part is incremented instead,
 * so lexicographic order is generation order.
 */
export function createBatchIdGenerator(now: () => number): () => string {
  let lastTime = -1;
  // The random part as 16 base32 digits, so incrementing is a carry along the array.
  const digits = new Uint8Array(RANDOM_CHARS);
  // Random bytes are drawn in bulk: one randomFillSync per id costs more than the rest of the id.
  const pool = new Uint8Array(RANDOM_CHARS * 256);
  let used = pool.length;

  return () => {
    let time = Math.floor(now());
    if (!Number.isFinite(time) || time < 0 || time > MAX_TIME) {
      throw new RangeError(`batch id time must be a millisecond epoch within 48 bits, got ${time}`);
    }
    if (time > lastTime) {
      if (used === pool.length) {
        randomFillSync(pool);
        used = 0;
      }
      for (let i = 0; i < RANDOM_CHARS; i++) digits[i] = pool[used++] & 31;
    } else {
      time = lastTime;
      if (!increment(digits)) {
        // 2^80 ids in one millisecond cannot happen; borrow the next millisecond rather than repeat.
        if (time === MAX_TIME) throw new RangeError('batch id space exhausted');
        time += 1;
      }
    }
    lastTime = time;
    let out = '';
    for (let i = TIME_CHARS - 1, t = time; i >= 0; i--, t = Math.floor(t / 32)) {
      out = CROCKFORD[t % 32] + out;
    }
    for (let i = 0; i < RANDOM_CHARS; i++) out += CROCKFORD[digits[i]];
    return out;
  };
}

/** Adds one; false when it wrapped around to all zeros. */
function increment(digits: Uint8Array): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i] < 31) {
      digits[i]++;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

/**
 * Canonical JSON: object keys sorted, no whitespace, non-JSON values mapped the way JSON.stringify
 * maps them, so the same logical key always yields the same text.
 */
function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${Array.from(value, (v) => canonicalJson(v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * A record id derived from its dedupe key, so resending the same key yields the same _id:
 * the first 22 base64url chars (132 bits) of sha256(canonical JSON of [stream, ...keyValues]).
 */
export function recordIdFromKey(stream: string, keyValues: unknown[]): string {
  return createHash('sha256')
    .update(canonicalJson([stream, ...keyValues]))
    .digest('base64url')
    .slice(0, 22);
}

/** The id of a record without a dedupe key: unique because batch ids are. */
export function recordIdFromBatch(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}
