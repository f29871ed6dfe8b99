import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UsageError } from '../errors.js';

const CHUNK_BYTES = 256 * 1024;

export interface OpenedInput {
  /** The decompressed bytes, from the requested offset on. */
  chunks: AsyncIterable<Buffer>;
  gzip: boolean;
  /** Bytes of the file as stored (compressed for .gz); undefined for stdin. */
  size?: number;
  /** Bytes of the file as stored read so far, counting any skipped prefix: progress for a bar. */
  consumed(): number;
  close(): void;
}

async function isGzipFile(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Drops the first `n` bytes: a resumed gzip input is decompressed from the start and skipped forward. */
async function* skip(chunks: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  let left = n;
  for await (const chunk of chunks) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left ? chunk.subarray(left) : chunk;
    left = 0;
  }
  if (left > 0) throw new Error(`the input ended ${left} bytes before the checkpoint's offset`);
}

/** Peeks at stdin's first bytes for the gzip magic number, then hands every byte on. */
async function* maybeGunzip(stdin: Readable, gz: { gzip: boolean }): AsyncGenerator<Buffer> {
  const it = stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  const head = Buffer.from(first.value);
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value);
  }
  gz.gzip = head[0] === 0x1f && head[1] === 0x8b;
  if (!gz.gzip) {
    yield* all();
    return;
  }
  // pipeline() destroys both on a failure of either, so a bad stream ends the iteration with its error.
  yield* pipeline(
    Readable.from(all()),
    createGunzip({ chunkSize: CHUNK_BYTES }),
    () => {},
  ) as AsyncIterable<Buffer>;
}

/**
 * Opens a file (or stdin for '-') for reading from decompressed byte `from`. Gzip is recognised by its
 * magic number, whatever the name. A plain file is read from `from` directly; a gzip one from its start.
 */
export async function openInput(file: string, stdin: Readable, from = 0): Promise<OpenedInput> {
  if (file === '-') {
    if (from) throw new UsageError('stdin cannot be resumed');
    let read = 0;
    stdin.on('data', (c: Buffer) => (read += c.length));
    const gz = { gzip: false };
    return {
      chunks: maybeGunzip(stdin, gz),
      get gzip() {
        return gz.gzip;
      },
      consumed: () => read,
      close: () => stdin.pause(),
    };
  }
  const { size } = await stat(file);
  const gzip = await isGzipFile(file);
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES, start: gzip ? 0 : from });
  const base = gzip ? 0 : from;
  if (!gzip) {
    return {
      chunks: stream,
      gzip,
      size,
      consumed: () => base + stream.bytesRead,
      close: () => stream.destroy(),
    };
  }
  const gunzip = pipeline(stream, createGunzip({ chunkSize: CHUNK_BYTES }), () => {});
  return {
    chunks: from ? skip(gunzip, from) : gunzip,
    gzip,
    size,
    consumed: () => stream.bytesRead,
    close: () => {
      stream.destroy();
      gunzip.destroy();
    },
  };
}
