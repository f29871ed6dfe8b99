import { InvalidInputError, PayloadTooLargeError } from '../errors.js';
import type { BodyLimits } from './types.js';

/**
 * Byte-level structural scans that run BEFORE JSON.parse. V8's JSON.parse is iterative and will
 * happily spend seconds on a 16 MiB body of `[[[[...`, so depth, record count and record size are
 * enforced here first, in one linear pass that stops at the first breach. Every byte that matters
 * (quotes, backslashes, brackets, commas) is ASCII, and UTF-8 never reuses ASCII bytes inside a
 * multi-byte sequence, so scanning bytes is exact and the sizes come out in bytes for free.
 *
 * The same pass marks a record as odd when its text holds something the text policy must judge
 * (text-policy.ts): a lone surrogate escape, an integer literal past 2^53 or a number that may
 * overflow a double. Clean records are never looked at again; odd ones are re-read with paths.
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

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hex4(b: Buffer, at: number, end: number): number {
  if (at + 4 > end) return -1;
  let v = 0;
  for (let k = at; k < at + 4; k++) {
    const c = b[k];
    const d = isDigit(c)
      ? c - 0x30
      : c >= 0x61 && c <= 0x66
        ? c - 0x57
        : c >= 0x41 && c <= 0x46
          ? c - 0x37
          : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * Whether the string b(open, close) holds a `\uXXXX` escape of a surrogate that is not half of an
 * escaped pair. `from` is the first backslash inside the string. Raw surrogates cannot occur: the
 * body passed the UTF-8 check, which refuses encoded surrogates.
 */
export function hasLoneSurrogateEscape(b: Buffer, from: number, close: number): boolean {
  // A plain loop: the rest of one string is short, and indexOf costs a native call each time.
  for (let k = from; k < close; k++) {
    if (b[k] !== BACKSLASH) continue;
    if (b[k + 1] !== 0x75) {
      k++;
      continue;
    }
    const unit = hex4(b, k + 2, close);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = b[k + 6] === BACKSLASH && b[k + 7] === 0x75 ? hex4(b, k + 8, close) : -1;
      if (low < 0xdc00 || low > 0xdfff) return true;
      k += 11;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return true;
    else k += 5;
  }
  return false;
}

/** The first backslash at or after `from`, or the body's length when there is none. */
function nextBackslash(b: Buffer, from: number): number {
  const k = b.indexOf(BACKSLASH, from);
  return k === -1 ? b.length : k;
}

const MAX_SAFE_DIGITS = Buffer.from(String(Number.MAX_SAFE_INTEGER));
const SAFE_LEN = MAX_SAFE_DIGITS.length;

/**
 * Skips the number token starting at `i` and returns where it ends, negated when the number may be
 * one the text policy rejects: an integer literal past 2^53 - 1 (JSON.parse may round it) or a
 * magnitude that may overflow a double. A cheap upper bound in one pass over the digits;
 * text-policy.ts decides exactly. The end is always past `i`, so it is never 0.
 */
export function skipNumber(b: Buffer, i: number, end: number): number {
  let k = b[i] === 0x2d ? i + 1 : i;
  const intStart = k;
  while (k < end && isDigit(b[k])) k++;
  const intDigits = k - intStart;
  let fraction = false;
  if (k < end && b[k] === 0x2e) {
    fraction = true;
    k++;
    while (k < end && isDigit(b[k])) k++;
  }
  if (k < end && (b[k] === 0x65 || b[k] === 0x45)) {
    k++;
    const negative = k < end && b[k] === 0x2d;
    if (k < end && (b[k] === 0x2b || b[k] === 0x2d)) k++;
    let exponent = 0;
    for (; k < end && isDigit(b[k]); k++) if (exponent < 10_000) exponent = exponent * 10 + (b[k] - 0x30);
    // The value is below 10^(intDigits + exponent); only overflow matters (underflow gives 0).
    return !negative && intDigits + exponent > 308 ? -k : k;
  }
  if (fraction) return intDigits > 308 ? -k : k;
  if (intDigits !== SAFE_LEN) return intDigits > SAFE_LEN ? -k : k;
  return b.compare(MAX_SAFE_DIGITS, 0, SAFE_LEN, intStart, k) > 0 ? -k : k;
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
  // Per record: whether its text holds something the text policy must judge.
  let odd = false;
  // The next backslash at or after the string being looked at (n when there is none).
  let backslash = -1;

  const closeElement = (): void => {
    if (elemStart < 0) return;
    const size = lastNonWs + 1 - elemStart;
    spans?.push(elemStart, lastNonWs + 1, keys, odd);
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
      odd = false;
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
      // One comparison for a string without escapes; the cursor only moves forward.
      if (backslash < close) {
        if (backslash < i) backslash = nextBackslash(b, i);
        if (backslash < close && elemStart >= 0 && !odd && hasLoneSurrogateEscape(b, backslash, close))
          odd = true;
      }
      lastNonWs = close;
      i = close;
      continue;
    }
    if (c === 0x2d || isDigit(c)) {
      let e = skipNumber(b, i, n);
      if (e < 0) {
        e = -e;
        if (elemStart >= 0) odd = true;
      }
      lastNonWs = e - 1;
      i = e - 1;
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
 * The next backslash at or after the text being scanned (the body's length when there is none),
 * shared by the scans of one body's NDJSON lines so that the search only ever moves forward.
 */
export interface BackslashCursor {
  at: number;
}

/**
 * Scans one record's JSON text in b[start, end) and adds its span: false (and no span) when it
 * nests containers deeper than `max`. The span's key count is the record's top-level key count
 * when it is a flat object on one line, else -1.
 */
export function scanRecord(
  b: Buffer,
  start: number,
  end: number,
  max: number,
  spans: RecordSpans,
  cursor: BackslashCursor = { at: -1 },
): boolean {
  let depth = 0;
  let keys = b[start] === 0x7b ? 0 : -1;
  let odd = false;
  let backslash = cursor.at;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) {
      const close = closingQuote(b, i, end);
      if (backslash < close) {
        // Searched to the end of the body, not of the line: the cursor is shared by every line.
        if (backslash < i) backslash = nextBackslash(b, i);
        if (backslash < close && !odd && hasLoneSurrogateEscape(b, backslash, close)) odd = true;
      }
      i = close;
    } else if (c === 0x2d || isDigit(c)) {
      let e = skipNumber(b, i, end);
      if (e < 0) {
        e = -e;
        odd = true;
      }
      i = e - 1;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false;
      if (depth > 1) keys = -1;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x3a) {
      if (keys >= 0 && depth === 1) keys++;
    } else if (c === 0x0a || c === 0x0d) keys = -1;
  }
  cursor.at = backslash;
  spans.push(start, end, keys, odd);
  return true;
}

/** Int32 fields per span: start, end, keys, odd. */
const FIELDS = 4;

/**
 * Where each record's text lies in the body, so an accepted record can be copied into the log as
 * it arrived instead of being serialized again. `keys` is the record's top-level key count when it
 * is a flat object on one line (a count larger than the parsed object's means duplicate keys), else
 * -1: nested values and line breaks are always re-serialized. `odd` says the text policy must read
 * the record's text (text-policy.ts).
 */
export class RecordSpans {
  count = 0;
  private data = new Int32Array(FIELDS * 128);

  push(start: number, end: number, keys: number, odd = false): void {
    if (FIELDS * (this.count + 1) > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const at = FIELDS * this.count++;
    this.data[at] = start;
    this.data[at + 1] = end;
    this.data[at + 2] = keys;
    this.data[at + 3] = odd ? 1 : 0;
  }

  start(i: number): number {
    return this.data[FIELDS * i];
  }

  end(i: number): number {
    return this.data[FIELDS * i + 1];
  }

  keys(i: number): number {
    return this.data[FIELDS * i + 2];
  }

  odd(i: number): boolean {
    return this.data[FIELDS * i + 3] === 1;
  }
}
