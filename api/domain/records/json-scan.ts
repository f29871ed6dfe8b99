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
  spans?: RecordSpans,
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
  // Per record: its top-level key count while it is a flat object on one line, else -1.
  let keys = -1;

  const closeElement = (): void => {
    if (elemStart < 0) return;
    const size = lastNonWs + 1 - elemStart;
    spans?.push(elemStart, lastNonWs + 1, keys);
    elemStart = -1;
    if (size > limits.maxRecordBytes && oversized === undefined) {
      oversized = recordTooLarge(limits, `records[${count - 1}]`, size);
    }
  };

  for (let i = first; i < n; i++) {
    const c = b[i];
    if (c <= 0x20 && isWs(c)) {
      // A line break inside the record (not around it) keeps it from being copied as one line.
      if ((c === 0x0a || c === 0x0d) && depth > base && elemStart >= 0) keys = -1;
      continue;
    }
    if (inRecords && depth === base && elemStart < 0 && c !== 0x2c && c !== 0x5d) {
      elemStart = i;
      keys = c === 0x7b ? 0 : -1;
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
        if (depth > base + 1) keys = -1;
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
    } else if (c === 0x3a && keys >= 0 && depth === base + 1) {
      keys++;
    }
    lastNonWs = i;
  }
  return oversized;
}

/**
 * Scans one record's JSON text in b[start, end): TOO_DEEP when it nests containers deeper than
 * `max`, otherwise its top-level key count when it is a flat object on one line, else -1.
 */
export function recordShape(b: Buffer, start: number, end: number, max: number): number {
  let depth = 0;
  let keys = b[start] === 0x7b ? 0 : -1;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) i = closingQuote(b, i, end);
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return TOO_DEEP;
      if (depth > 1) keys = -1;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x3a) {
      if (keys >= 0 && depth === 1) keys++;
    } else if (c === 0x0a || c === 0x0d) keys = -1;
  }
  return keys;
}

export const TOO_DEEP = -2;

/**
 * Where each record's text lies in the body, so an accepted record can be copied into the log as
 * it arrived instead of being serialized again. `keys` is the record's top-level key count when it
 * is a flat object on one line (a count larger than the parsed object's means duplicate keys), else
 * -1: nested values and line breaks are always re-serialized.
 */
export class RecordSpans {
  count = 0;
  private data = new Int32Array(3 * 128);

  push(start: number, end: number, keys: number): void {
    if (3 * (this.count + 1) > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const at = 3 * this.count++;
    this.data[at] = start;
    this.data[at + 1] = end;
    this.data[at + 2] = keys;
  }

  start(i: number): number {
    return this.data[3 * i];
  }

  end(i: number): number {
    return this.data[3 * i + 1];
  }

  keys(i: number): number {
    return this.data[3 * i + 2];
  }
}
