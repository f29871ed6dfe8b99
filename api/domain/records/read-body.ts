import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidInputError, PayloadTooLargeError } from '../errors.js';

export interface ReadBodyOptions {
  gzip: boolean;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  /** Told the running total of decompressed bytes after each chunk (tests watch a gzip bomb stop). */
  onInflated?: (totalBytes: number) => void;
}

export interface ReadBody {
  /** The body after any decompression. */
  bytes: Buffer;
  rawBytes: number;
  sha256: string;
}

export function bodyTooLarge(maxBodyBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    'maxBodyBytes',
    maxBodyBytes,
    `request body exceeds ${maxBodyBytes} bytes (maxBodyBytes)`,
  );
}

function inflatedTooLarge(maxDecompressedBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    'maxDecompressedBytes',
    maxDecompressedBytes,
    `decompressed request body exceeds ${maxDecompressedBytes} bytes (maxDecompressedBytes)`,
  );
}

/**
 * Yields the body's chunks while counting and hashing them; stops (and cancels the upload) as soon
 * as the count passes the limit, so no more than the limit is ever held.
 */
async function* countedChunks(
  body: ReadableStream<Uint8Array>,
  maxBodyBytes: number,
  seen: { bytes: number; hash: ReturnType<typeof createHash>; breach?: PayloadTooLargeError },
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      seen.bytes += value.byteLength;
      if (seen.bytes > maxBodyBytes) throw (seen.breach = bodyTooLarge(maxBodyBytes));
      seen.hash.update(value);
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function isZlibError(e: unknown): e is Error {
  const code: unknown = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * Reads the whole body within the limits. Gzip is inflated as it streams in and abandoned the moment
 * its output passes maxDecompressedBytes, so a bomb costs at most the limit plus one zlib chunk.
 */
export async function readBody(body: ReadableStream<Uint8Array> | null, options: ReadBodyOptions): Promise<ReadBody> {
  // A breach is remembered here because pipeline() may surface the AbortError of tearing the other
  // stages down instead of the error that caused it.
  const seen: { bytes: number; hash: ReturnType<typeof createHash>; breach?: PayloadTooLargeError } = {
    bytes: 0,
    hash: createHash('sha256'),
  };
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (body !== null) {
    const source = countedChunks(body, options.maxBodyBytes, seen);
    if (!options.gzip) {
      for await (const chunk of source) {
        chunks.push(chunk);
        total += chunk.byteLength;
      }
    } else {
      try {
        await pipeline(
          Readable.from(source, { objectMode: false }),
          createGunzip({ chunkSize: 64 * 1024 }),
          async (inflated: AsyncIterable<Buffer>) => {
            for await (const chunk of inflated) {
              total += chunk.byteLength;
              options.onInflated?.(total);
              if (total > options.maxDecompressedBytes) {
                throw (seen.breach = inflatedTooLarge(options.maxDecompressedBytes));
              }
              chunks.push(chunk);
            }
          },
        );
      } catch (e) {
        if (seen.breach !== undefined) throw seen.breach;
        if (isZlibError(e)) {
          if (seen.bytes === 0) {
            throw new InvalidInputError('request body is empty', [{ path: 'body', message: 'request body is empty' }]);
          }
          const message = `request body is not valid gzip (${e.message})`;
          throw new InvalidInputError(message, [{ path: 'body', message }]);
        }
        throw e;
      }
    }
  }
  return {
    bytes: Buffer.concat(chunks, total),
    rawBytes: seen.bytes,
    sha256: seen.hash.digest('hex'),
  };
}
