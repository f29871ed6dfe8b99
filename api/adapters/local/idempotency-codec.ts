import type { IdempotencyRecord } from '../../ports.js';
import { encodeFrame, FRAME_HEADER_BYTES } from './frame.js';

/**
 * One key's record as the local store keeps it in memory. Tenant, stream and key live only in the
 * map key, and the result stays the JSON text it is journaled as (parsed only for a replay): both
 * keep the per-key cost down (README, "Retries: Idempotency-Key").
 */
export interface IdemEntry {
  fingerprint: string;
  state: IdempotencyRecord['state'];
  token?: string;
  createdAt: string;
  /** createdAt in epoch ms, for expiry checks. */
  createdMs: number;
  batchId?: string;
  /** JSON of `result`. */
  result?: string;
  /** Size of this record's frame in the journal: the live state's share of the file, for compaction. */
  bytes: number;
  /** A pending claim replayed from the journal: its request died with the previous process. */
  orphaned?: true;
}

/** Journal payloads: the whole record under its key (`p`), or the key released (`d`). */
type Payload =
  | {
      o: 'p';
      t: string;
      s: string;
      k: string;
      f: string;
      st: string;
      tok?: string;
      at: string;
      b?: string;
      r?: unknown;
    }
  | { o: 'd'; t: string; s: string; k: string };

export type JournalOp = { op: 'put'; mapKey: string; entry: IdemEntry } | { op: 'delete'; mapKey: string };

/** Tenant and stream are identifiers and keys match ^[A-Za-z0-9._:-]+$: none holds a NUL. */
const SEP = '\u0000';

export const mapKeyOf = (r: Pick<IdempotencyRecord, 'tenant' | 'stream' | 'key'>): string =>
  `${r.tenant}${SEP}${r.stream}${SEP}${r.key}`;

function splitKey(mapKey: string): { tenant: string; stream: string; key: string } {
  const a = mapKey.indexOf(SEP);
  const b = mapKey.indexOf(SEP, a + 1);
  return { tenant: mapKey.slice(0, a), stream: mapKey.slice(a + 1, b), key: mapKey.slice(b + 1) };
}

/** The entry for `r` and its journal frame. */
export function encodePut(r: IdempotencyRecord): { entry: IdemEntry; frame: Buffer } {
  const result = r.result === undefined ? undefined : JSON.stringify(r.result);
  const frame = putFrame(r, result);
  const entry: IdemEntry = {
    fingerprint: r.fingerprint,
    state: r.state,
    createdAt: r.createdAt,
    createdMs: Date.parse(r.createdAt),
    bytes: frame.length,
  };
  if (r.token !== undefined) entry.token = r.token;
  if (r.batchId !== undefined) entry.batchId = r.batchId;
  if (result !== undefined) entry.result = result;
  return { entry, frame };
}

/** The frame that puts an entry back (compaction). */
export function entryFrame(mapKey: string, e: IdemEntry): Buffer {
  return putFrame({ ...splitKey(mapKey), ...e }, e.result);
}

function putFrame(r: Omit<IdempotencyRecord, 'result' | 'orphaned'>, result: string | undefined): Buffer {
  const head: Payload = {
    o: 'p',
    t: r.tenant,
    s: r.stream,
    k: r.key,
    f: r.fingerprint,
    st: r.state,
    ...(r.token === undefined ? {} : { tok: r.token }),
    at: r.createdAt,
    ...(r.batchId === undefined ? {} : { b: r.batchId }),
  };
  // The result is spliced in as the JSON text kept in memory rather than parsed and serialized again.
  const json = JSON.stringify(head);
  return encodeFrame(result === undefined ? json : `${json.slice(0, -1)},"r":${result}}`);
}

export function encodeDelete(r: Pick<IdempotencyRecord, 'tenant' | 'stream' | 'key'>): Buffer {
  const payload: Payload = { o: 'd', t: r.tenant, s: r.stream, k: r.key };
  return encodeFrame(JSON.stringify(payload));
}

/** The record an entry stands for (`orphaned` included: it is in memory only, never journaled). */
export function recordOf(mapKey: string, e: IdemEntry): IdempotencyRecord {
  const r: IdempotencyRecord = {
    ...splitKey(mapKey),
    fingerprint: e.fingerprint,
    state: e.state,
    ...(e.token === undefined ? {} : { token: e.token }),
    createdAt: e.createdAt,
  };
  if (e.batchId !== undefined) r.batchId = e.batchId;
  if (e.result !== undefined) r.result = JSON.parse(e.result) as IdempotencyRecord['result'];
  if (e.orphaned) r.orphaned = true;
  return r;
}

const isStr = (v: unknown): v is string => typeof v === 'string';

const RESULT_MARK = ',"r":';

/**
 * Parses one journal payload; undefined when it is not one (the journal treats that as torn). The
 * result is taken as the text between `,"r":` and the closing brace, not parsed: no value before it
 * can hold a quote (identifiers, keys, hex, ISO times), and the frame's crc vouches for the text.
 */
export function decodeOp(payload: Buffer): JournalOp | undefined {
  const mark = payload.indexOf(RESULT_MARK);
  let p: Partial<Payload> & Record<string, unknown>;
  try {
    const head = mark < 0 ? payload.toString('utf8') : `${payload.toString('utf8', 0, mark)}}`;
    p = JSON.parse(head) as typeof p;
  } catch {
    return undefined;
  }
  if (!isStr(p.t) || !isStr(p.s) || !isStr(p.k)) return undefined;
  const mapKey = mapKeyOf({ tenant: p.t, stream: p.s, key: p.k });
  if (p.o === 'd') return { op: 'delete', mapKey };
  if (p.o !== 'p' || !isStr(p.f) || !isStr(p.at) || (p.st !== 'pending' && p.st !== 'done')) return undefined;
  const entry: IdemEntry = {
    fingerprint: p.f,
    state: p.st,
    createdAt: p.at,
    createdMs: Date.parse(p.at),
    bytes: FRAME_HEADER_BYTES + payload.length,
  };
  if (isStr(p.tok)) entry.token = p.tok;
  if (isStr(p.b)) entry.batchId = p.b;
  if (mark >= 0) entry.result = payload.toString('utf8', mark + RESULT_MARK.length, payload.length - 1);
  return { op: 'put', mapKey, entry };
}
