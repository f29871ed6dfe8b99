import { createHash } from 'node:crypto';
import { createGunzip, type Gunzip } from 'node:zlib';
import { InvalidInputError, PayloadTooLargeError } from '../errors.js';

export interface ReadBodyOptions {
  gzip: boolean;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  /** Hash the bytes as received (only idempotent requests need the fingerprint). */
  hash?: boolean;
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
  body: BodySource,
  maxBodyBytes: number,
  seen: { bytes: number; hash?: ReturnType<typeof createHash> },
): AsyncGenerator<Uint8Array> {
  // Web streams are async iterable in Node; their iterator's return() cancels the upload.
  const it = (body as AsyncIterable<Uint8Array, unknown>)[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await it.next();
      if (done) {
        finished = true;
        return;
      }
      seen.bytes += value.byteLength;
      if (seen.bytes > maxBodyBytes) throw bodyTooLarge(maxBodyBytes);
      seen.hash?.update(value);
      yield value;
    }
  } finally {
    if (!finished) await stopReading(body, it);
  }
}

/**
 * Stops reading an upload early. A Node request stream is drained and discarded instead of destroyed,
 * so the socket stays usable and the 413 reaches the client; a web stream is cancelled.
 */
async function stopReading(body: BodySource, it: AsyncIterator<Uint8Array>): Promise<void> {
  const stream = body as { resume?: () => void; removeAllListeners?: (e: string) => void };
  if (typeof stream.resume === 'function') {
    // The async iterator left a 'readable' listener, which would keep resume() from flowing.
    stream.removeAllListeners?.('readable');
    stream.removeAllListeners?.('data');
    stream.resume();
  } else {
    await it.return?.().catch(() => undefined);
  }
}

export type BodySource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

function isZlibError(e: unknown): e is Error {
  const code: unknown = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** Resolves once the stream can take more input, or is gone. */
function writable(z: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      z.off('drain', done);
      z.off('close', done);
      resolve();
    };
    z.on('drain', done);
    z.on('close', done);
  });
}

/**
 * Inflates as the body streams in, and gives up the moment output passes the limit, so a bomb costs
 * at most the limit plus one zlib chunk. (Driving the Gunzip transform by hand rather than through
 * stream.pipeline keeps a small request's overhead close to zlib's one-shot gunzip.)
 */
async function inflate(
  source: AsyncIterable<Uint8Array>,
  options: ReadBodyOptions,
  seen: { breach?: PayloadTooLargeError },
): Promise<{ chunks: Buffer[]; total: number }> {
  const z = createGunzip({ chunkSize: 64 * 1024 });
  const chunks: Buffer[] = [];
  let total = 0;
  let failure: Error | undefined;
  const finished = new Promise<void>((resolve) => {
    z.once('end', resolve);
    z.once('close', resolve);
  });
  z.on('error', (e) => {
    failure ??= e;
  });
  z.on('data', (chunk: Buffer) => {
    total += chunk.byteLength;
    options.onInflated?.(total);
    if (total > options.maxDecompressedBytes) {
      failure ??= seen.breach = inflatedTooLarge(options.maxDecompressedBytes);
      z.destroy();
      return;
    }
    chunks.push(chunk);
  });
  try {
    for await (const chunk of source) {
      // Leaving the loop cancels the upload (see countedChunks).
      if (failure !== undefined) break;
      if (!z.write(chunk)) await writable(z);
    }
    if (failure === undefined) z.end();
    await finished;
  } finally {
    z.destroy();
  }
  if (failure !== undefined) throw failure;
  return { chunks, total };
}

/**
 * Reads the whole body within the limits, hashing the bytes as received and inflating gzip as it
 * arrives.
 */
export async function readBody(body: BodySource | null, options: ReadBodyOptions): Promise<ReadBody> {
  const seen: { bytes: number; hash?: ReturnType<typeof createHash>; breach?: PayloadTooLargeError } = {
    bytes: 0,
    hash: options.hash === false ? undefined : createHash('sha256'),
  };
  let chunks: Uint8Array[] = [];
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
        ({ chunks, total } = await inflate(source, options, seen));
      } catch (e) {
        if (seen.breach !== undefined) throw seen.breach;
        if (isZlibError(e)) {
          if (seen.bytes === 0) {
            throw new InvalidInputError('request body is empty', [
              { path: 'body', message: 'request body is empty' },
            ]);
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
    sha256: seen.hash ? seen.hash.digest('hex') : '',
  };
}
