import { isAscii, isUtf8 } from 'node:buffer';
import { InvalidInputError, UnsupportedMediaTypeError } from '../errors.js';
import { findJsonSyntaxProblem, lineAndColumn } from './json-error.js';
import {
  checkJsonBodyLimits,
  RecordSpans,
  recordTooDeep,
  recordTooLarge,
  scanRecord,
  tooManyRecords,
} from './json-scan.js';
import type { BlockSource } from './ndjson-block.js';
import { bodyTooLarge, readBody, type BodySource } from './read-body.js';
import type { BodyLimits, ParsedRecordsBody } from './types.js';

export const DEFAULT_BODY_LIMITS: Readonly<BodyLimits> = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  maxDecompressedBytes: 16 * 1024 * 1024,
  maxRecordBytes: 1000 * 1024,
  maxRecords: 10_000,
  maxDepth: 32,
});

export interface ParseRecordsBodyInput {
  /** A web stream, or (Node fast path) the request itself as an async iterable of chunks. */
  body: BodySource | null;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  contentLength: string | undefined;
  limits: BodyLimits;
  /** Set false to skip the sha256 fingerprint (it is only needed for Idempotency-Key requests). */
  hash?: boolean;
  /**
   * Also take a JSON body that is one record on its own (an object, or null), as Debezium Server's HTTP
   * sink sends one change event per request. An object with a `records` key is still the wrapper.
   */
  loneRecord?: boolean;
  /** Test hook: the running total of decompressed bytes. */
  onInflated?: (totalBytes: number) => void;
}

type BodyFormat = 'json' | 'ndjson';

const FORMATS: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

const ACCEPTED_TYPES =
  'application/json (an array of records, or {"records": [...]}) or application/x-ndjson (one record per line)';

function bodyFormat(contentType: string | undefined): BodyFormat {
  const mediaType = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  const format = Object.hasOwn(FORMATS, mediaType) ? FORMATS[mediaType] : undefined;
  if (format === undefined) {
    const got = mediaType === '' ? 'no Content-Type' : `Content-Type ${mediaType.slice(0, 100)}`;
    throw new UnsupportedMediaTypeError(`${got} is not supported; send ${ACCEPTED_TYPES}`);
  }
  return format;
}

function isGzip(contentEncoding: string | undefined): boolean {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return false;
  if (codings.length === 1 && (codings[0] === 'gzip' || codings[0] === 'x-gzip')) return true;
  throw new UnsupportedMediaTypeError(
    `Content-Encoding ${codings.join(', ').slice(0, 100)} is not supported; send gzip or identity (uncompressed)`,
  );
}

function invalid(message: string, path = 'body'): InvalidInputError {
  return new InvalidInputError(message, [{ path, message }]);
}

function noRecords(): InvalidInputError {
  return invalid('request contains no records');
}

/** JSON.parse, with a refusal turned into a 400 that says where the text goes wrong. */
function parseJsonText(
  text: string,
  describeAt: (index: number, problem: string) => string,
  path: string,
): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // RangeError would be stack exhaustion; the depth scan ran first, so this is a backstop.
    if (e instanceof RangeError)
      throw invalid(`${path === 'body' ? 'request body' : path} nests too deeply`, path);
    const problem = findJsonSyntaxProblem(text);
    if (problem === undefined) throw invalid(`malformed JSON (${String(e).slice(0, 200)})`, path);
    throw invalid(describeAt(problem.index, problem.message), path);
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function parseJsonBody(
  bytes: Buffer,
  limits: BodyLimits,
  spans: RecordSpans,
  source: BlockSource,
  loneRecord: boolean,
): unknown[] {
  const start = bytes.subarray(0, 3).equals(BOM) ? 3 : 0;
  const oversized = checkJsonBodyLimits(bytes, start, limits, spans);
  const text = bytes.toString('utf8', start);
  source.asciiFrom = start;
  // UTF-8 spends two or more bytes on every non-ASCII character, so equal lengths mean all ASCII.
  if (text.length === bytes.length - start) source.ascii = text;
  if (text.trim() === '')
    throw invalid('request body is empty; expected a JSON array of records or {"records": [...]}');
  const parsed = parseJsonText(
    text,
    (index, problem) => {
      const { line, column } = lineAndColumn(text, index);
      const offset = start + Buffer.byteLength(text.slice(0, index));
      return `malformed JSON at line ${line}, column ${column} (byte offset ${offset}): ${problem}`;
    },
    'body',
  );
  let records: unknown;
  if (Array.isArray(parsed)) {
    records = parsed;
  } else if (typeof parsed === 'object' && parsed !== null && Object.hasOwn(parsed, 'records')) {
    const extra = Object.keys(parsed).find((k) => k !== 'records');
    if (extra !== undefined) {
      throw invalid(
        `unexpected key ${JSON.stringify(extra)} next to "records"; the body must be {"records": [...]} alone`,
      );
    }
    records = (parsed as { records: unknown }).records;
    if (!Array.isArray(records)) throw invalid('"records" must be an array of records', 'records');
  } else if (loneRecord && (parsed === null || typeof parsed === 'object')) {
    records = [parsed];
  } else {
    const got =
      parsed === null ? 'null' : typeof parsed === 'object' ? 'an object without "records"' : typeof parsed;
    throw invalid(`expected a JSON array of records or an object {"records": [...]}, got ${got}`);
  }
  if (oversized !== undefined) throw oversized;
  const list = records as unknown[];
  if (list.length === 0) throw noRecords();
  // The scan already counted, but only what it could see; the parsed array is the truth.
  if (list.length > limits.maxRecords) throw tooManyRecords(limits);
  return list;
}

function parseNdjsonBody(
  bytes: Buffer,
  limits: BodyLimits,
  spans: RecordSpans,
  source: BlockSource,
): unknown[] {
  // An ASCII body is decoded once; a line is then a slice of it (no copy).
  const ascii = isAscii(bytes) ? bytes.toString('latin1') : undefined;
  source.ascii = ascii;
  const records: unknown[] = [];
  const n = bytes.length;
  const backslash = { at: -1 };
  let lineNo = 0;
  let pos = bytes.subarray(0, 3).equals(BOM) ? 3 : 0;
  while (pos < n) {
    lineNo++;
    const lineStart = pos;
    const nl = bytes.indexOf(0x0a, pos);
    const lineEnd = nl === -1 ? n : nl;
    const next = nl === -1 ? n : nl + 1;
    let start = pos;
    let end = lineEnd;
    pos = next;
    // Trim whitespace (this also drops the \r of \r\n); blank lines are skipped but still counted.
    while (start < end && isWs(bytes[start])) start++;
    while (end > start && isWs(bytes[end - 1])) end--;
    if (start === end) continue;
    const where = `line ${lineNo}`;
    if (records.length === limits.maxRecords) throw tooManyRecords(limits);
    if (end - start > limits.maxRecordBytes)
      throw recordTooLarge(limits, `the record on ${where}`, end - start);
    if (!scanRecord(bytes, start, end, limits.maxDepth, spans, backslash))
      throw recordTooDeep(limits, where, `the record on ${where}`);
    const text = ascii !== undefined ? ascii.slice(start, end) : bytes.toString('utf8', start, end);
    const leading = start - lineStart;
    records.push(
      parseJsonText(
        text,
        (index, problem) => {
          const column = leading + index + 1;
          return `malformed JSON on line ${lineNo}, column ${column}: ${problem}`;
        },
        where,
      ),
    );
  }
  if (records.length === 0) throw noRecords();
  return records;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0d || c === 0x09;
}

/**
 * Reads and parses an ingest request body into records, enforcing every limit in `limits`.
 * Throws UnsupportedMediaTypeError (content type or encoding), PayloadTooLargeError (naming the limit)
 * or InvalidInputError (naming the body, line or record). Anything else is a transport failure of
 * the body stream itself and is passed through.
 *
 * Duplicate keys inside a record: the last value wins (JSON.parse's rule; RFC 8259 leaves it open).
 * `__proto__` keys become ordinary own properties (JSON.parse never invokes the setter).
 */
export async function parseRecordsBody(input: ParseRecordsBodyInput): Promise<ParsedRecordsBody> {
  const { limits } = input;
  const format = bodyFormat(input.contentType);
  const gzip = isGzip(input.contentEncoding);
  if (input.contentLength !== undefined && /^\s*\d+\s*$/.test(input.contentLength)) {
    if (Number(input.contentLength) > limits.maxBodyBytes) throw bodyTooLarge(limits.maxBodyBytes);
  }
  const { bytes, rawBytes, sha256 } = await readBody(input.body, {
    gzip,
    maxBodyBytes: limits.maxBodyBytes,
    maxDecompressedBytes: limits.maxDecompressedBytes,
    onInflated: input.onInflated,
    hash: input.hash,
  });
  if (bytes.length === 0) throw invalid('request body is empty');
  if (!isUtf8(bytes))
    throw invalid(`request body is not valid UTF-8${gzip ? ' (after gzip decompression)' : ''}`);
  const spans = new RecordSpans();
  const source: BlockSource = { bytes, asciiFrom: 0 };
  const records =
    format === 'json'
      ? parseJsonBody(bytes, limits, spans, source, input.loneRecord === true)
      : parseNdjsonBody(bytes, limits, spans, source);
  // The spans come from a byte scan; they are used only when they agree with what JSON.parse saw.
  return {
    records,
    rawBytes,
    sha256,
    source,
    spans: spans.count === records.length ? spans : undefined,
  };
}
