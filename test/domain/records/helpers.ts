import { gzipSync } from 'node:zlib';
import { buildBatch, type BuiltBatch } from '../../../api/domain/records/build-batch.js';
import { parseRecordsBody, DEFAULT_BODY_LIMITS } from '../../../api/domain/records/index.js';
import type { BodyLimits, ParsedRecordsBody } from '../../../api/domain/records/index.js';
import { ValidatorCache } from '../../../api/domain/records/validators.js';
import type { Stream } from '../../../api/domain/streams/types.js';

export interface TrackedStream {
  stream: ReadableStream<Uint8Array>;
  /** Bytes the consumer has pulled so far. */
  pulled(): number;
  cancelled(): boolean;
}

/** A pull-driven body stream that hands out `chunkSize` pieces and records how far it was read. */
export function trackedStream(bytes: Uint8Array, chunkSize = 16 * 1024): TrackedStream {
  let offset = 0;
  let wasCancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        const end = Math.min(offset + chunkSize, bytes.length);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
      },
      cancel() {
        wasCancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => offset, cancelled: () => wasCancelled };
}

export interface ParseOptions {
  contentType?: string;
  contentEncoding?: string;
  contentLength?: string;
  limits?: Partial<BodyLimits>;
  chunkSize?: number;
  onInflated?: (total: number) => void;
  loneRecord?: boolean;
}

export function parse(
  body: string | Uint8Array | null,
  options: ParseOptions = {},
): Promise<ParsedRecordsBody> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return parseRecordsBody({
    body: bytes === null ? null : trackedStream(bytes, options.chunkSize).stream,
    contentType: 'contentType' in options ? options.contentType : 'application/json',
    contentEncoding: options.contentEncoding,
    contentLength: options.contentLength,
    limits: { ...DEFAULT_BODY_LIMITS, ...options.limits },
    onInflated: options.onInflated,
    loneRecord: options.loneRecord,
  });
}

/** Parses `body` as an ingest request would and builds its batch for `stream` (batch b1, received 2026-01-01). */
export async function parseAndBuild(stream: Stream, body: string, contentType: string): Promise<BuiltBatch> {
  const parsed = await parse(body, { contentType });
  return buildBatch(stream, new ValidatorCache().get(stream), parsed, 'b1', '2026-01-01T00:00:00.000Z');
}

export function gzip(text: string | Uint8Array): Buffer {
  return gzipSync(text);
}

/**
 * `mebibytes` MiB of zeros as a valid gzip file: one member holding 1 MiB of zeros, repeated (gzip
 * allows concatenated members), so building the bomb costs milliseconds and never holds the plain form.
 */
export function gzippedZeros(mebibytes: number): Buffer {
  const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  return Buffer.concat(Array.from({ length: mebibytes }, () => member));
}

/** Runs `fn` and returns what it threw (failing if it did not throw). */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
