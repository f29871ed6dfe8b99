import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

export const NDJSON = 'application/x-ndjson';

export interface GzipSettings {
  /** Compress bodies of at least this many bytes. */
  minBytes: number;
  /** zlib level, 1 (fastest) to 9. */
  level: number;
}

/**
 * A batch body from NDJSON lines, gzipped (on the libuv pool, off the event loop) when it is at least
 * `minBytes`. Compressed once: retries and replays send these exact bytes, which the API's idempotency
 * fingerprint (a hash of the bytes as received) requires.
 */
export async function encodeLines(
  lines: readonly string[],
  gz: GzipSettings | undefined,
): Promise<{ body: Uint8Array; gzip: boolean }> {
  const text = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  if (!gz || text.byteLength < gz.minBytes) return { body: text, gzip: false };
  return { body: await gzip(text, { level: gz.level }), gzip: true };
}

/** The records of an NDJSON body (gunzipped first when `gzipped`), for naming rejected records. */
export async function decodeRecords(body: Uint8Array, gzipped: boolean): Promise<unknown[]> {
  const text = (gzipped ? await gunzip(body) : Buffer.from(body)).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);
}
