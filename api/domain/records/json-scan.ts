import { InvalidInputError, PayloadTooLargeError } from '../errors.js';
import type { BodyLimits } from './types.js';

/**
 * Byte-level structural scans that run BEFORE JSON.parse. V8's JSON.parse is iterative and will
 * happily spend seconds on a 16 MiB body of `[[[[...`, so depth, record count and record size are
 * enforced here first, in one linear pass that stops at the first breach. Every byte that matters
 * (quotes, backslashes, brackets, commas) is ASCII, and UTF-8 never reuses ASCII bytes inside a
 * multi-byte sequence, so scanning bytes is exact and the sizes come out in bytes for free.
 *
 * The scan does not validate JSON (JSON.parse does that next); on a malformed body its findings may
 * be off, which only changes which 4xx the caller sees.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const RECORDS_KEY = Buffer.from('records');

/** Index of the quote closing the string opened at `open`, or `end` when it never closes. */
function closingQuote(b: Buffer, open: number, end: number): number {
  let from = open + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, from);
    if (q === -1 || q >= end) return end;
    let backslashes = 0;
    for (let k = q - 1; k > open && b[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q;
    from = q + 1;
  }
}

function isRecordsKey(b: Buffer, open: number, close: number): boolean {
  const inner = b.subarray(open + 1, close);
  if (inner.indexOf(BACKSLASH) === -1) return inner.equals(RECORDS_KEY);
  try {
    return JSON.parse(b.toString('utf8', open, close + 1)) === 'records';
  } catch {
    return false;
  }
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function tooManyRecords(limits: BodyLimits): PayloadTooLargeError {
  return new PayloadTooLargeError(
    'maxRecords',
    limits.maxRecords,
    `request has more than ${limits.maxRecords} records (maxRecords)`,
  );
}

export function recordTooLarge(limits: BodyLimits, where: string, size: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    'maxRecordBytes',
    limits.maxRecordBytes,
    `${where} is ${size} bytes, over the ${limits.maxRecordBytes}-byte limit per record (maxRecordBytes)`,
  );
}

export function recordTooDeep(limits: BodyLimits, path: string, where: string): InvalidInputError {
  const message = `${where} nests objects/arrays deeper than ${limits.maxDepth} levels (maxDepth)`;
  return new InvalidInputError(message, [{ path, message }]);
}

/**
 * Checks the records of a JSON body (`[...]` or `{"records": [...]}`, after any BOM) against
 * maxRecords and maxDepth, throwing the first breach (naming `records[i]`), and measures each record
 * against maxRecordBytes. An oversized record is returned rather than thrown: size costs nothing to
 * defer, and the caller reports a syntax error first when the body is also malformed.
 */
export function checkJsonBodyLimits(
  b: Buffer,
  start: number,
  limits: BodyLimits,
): PayloadTooLargeError | undefined {
  const n = b.length;
  let first = start;
  while (first < n && isWs(b[first])) first++;
  // Depth of the array whose elements are records: 1 for `[...]`, 2 for `{"records": [...]}`.
  const base = b[first] === 0x5b ? 1 : b[first] === 0x7b ? 2 : 0;
  const guardDepth = limits.maxDepth + Math.max(base, 1);

  let depth = 0;
  let inRecords = false;
  let count = 0;
  let elemStart = -1;
  let lastNonWs = -1;
  let expectKey = false;
  let keyIsRecords = false;
  let recordsKeys = 0;
  let oversized: PayloadTooLargeError | undefined;

  const closeElement = (): void => {
    if (elemStart < 0) return;
    const size = lastNonWs + 1 - elemStart;
    elemStart = -1;
    if (size > limits.maxRecordBytes && oversized === undefined) {
      oversized = recordTooLarge(limits, `records[${count - 1}]`, size);
    }
  };

  for (let i = first; i < n; i++) {
    const c = b[i];
    if (isWs(c)) continue;
    if (inRecords && depth === base && elemStart < 0 && c !== 0x2c && c !== 0x5d) {
      elemStart = i;
      count++;
      if (count > limits.maxRecords) throw tooManyRecords(limits);
    }
    if (c === QUOTE) {
      const close = closingQuote(b, i, n);
      if (expectKey && depth === 1) {
        keyIsRecords = isRecordsKey(b, i, close);
        expectKey = false;
        // JSON.parse would silently keep the last one; for the envelope that hides a mistake.
        if (keyIsRecords && ++recordsKeys > 1) {
          const message = 'duplicate "records" key in the request body';
          throw new InvalidInputError(message, [{ path: 'body', message }]);
        }
      }
      lastNonWs = close;
      i = close;
      continue;
    }
    if (c === 0x5b || c === 0x7b) {
      depth++;
      if (inRecords) {
        if (depth - base > limits.maxDepth) {
          throw recordTooDeep(limits, `records[${count - 1}]`, `records[${count - 1}]`);
        }
      } else if (depth > guardDepth) {
        throw recordTooDeep(limits, 'body', 'the request body');
      }
      if (depth === base && c === 0x5b && (base === 1 || keyIsRecords)) {
        inRecords = true;
      } else if (base === 2 && depth === 1) {
        expectKey = true;
      }
    } else if (c === 0x5d || c === 0x7d) {
      if (inRecords && depth === base) {
        closeElement();
        inRecords = false;
      }
      depth--;
    } else if (c === 0x2c) {
      if (inRecords && depth === base) closeElement();
      else if (base === 2 && depth === 1) expectKey = true;
    }
    lastNonWs = i;
  }
  return oversized;
}

/** True when the JSON text in b[start, end) nests containers deeper than `max`. */
export function nestsDeeperThan(b: Buffer, start: number, end: number, max: number): boolean {
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) i = closingQuote(b, i, end);
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
