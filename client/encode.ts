import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

export const NDJSON = 'application/x-ndjson';
/** What the producer sends: a JSON array of records. */
export const JSON_ARRAY = 'application/json';

export interface GzipSettings {
  /** Compress bodies of at least this many bytes. */
  minBytes: number;
  /** zlib level, 1 (fastest) to 9. */
  level: number;
}

/**
 * The body as sent: gzipped (on the libuv pool, off the event loop) when it is at least `minBytes`.
 * Compressed once: retries and replays send these exact bytes, which the API's idempotency
 * fingerprint (a hash of the bytes as received) requires.
 */
export async function compress(
  text: Uint8Array,
  gz: GzipSettings | undefined,
): Promise<{ body: Uint8Array; gzip: boolean }> {
  if (!gz || text.byteLength < gz.minBytes) return { body: text, gzip: false };
  return { body: await gzip(text, { level: gz.level }), gzip: true };
}

/** The records of an uncompressed NDJSON body. */
export function parseNdjson(text: Uint8Array): unknown[] {
  return Buffer.from(text.buffer, text.byteOffset, text.byteLength)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);
}

/**
 * The records of an uncompressed body of `contentType`: a JSON array, or NDJSON (which batches spooled
 * by earlier versions hold).
 */
export function parseBatch(text: Uint8Array, contentType: string): unknown[] {
  if (contentType !== JSON_ARRAY) return parseNdjson(text);
  return JSON.parse(Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8')) as unknown[];
}

/** The records of a body (gunzipped first when `gzipped`), for naming rejected records. */
export async function decodeRecords(
  body: Uint8Array,
  gzipped: boolean,
  contentType: string,
): Promise<unknown[]> {
  return parseBatch(gzipped ? await gunzip(body) : body, contentType);
}
