import { crc32 } from 'node:zlib';
import type { BatchClaim, IngestBatch } from '../../ports.js';

/**
 * One log entry: the batch's metadata plus its records and rejects as ready-made NDJSON blocks.
 * The blocks are slices of the frame itself, so buffering and publishing never copy or re-serialize.
 */
export interface LogEntry {
  lsn: number;
  tenant: string;
  stream: string;
  batchId: string;
  receivedAt: string;
  schemaVersion: number;
  buffering: { intervalSeconds: number; sizeMiB: number };
  recordCount: number;
  /** Records, each newline-terminated; empty when there are none. */
  records: Buffer;
  rejectCount: number;
  rejects: Buffer;
  /** The idempotency claim the batch was stored under: durable with it, restored at recovery. */
  claim?: BatchClaim;
}

/** [u32 payload length][u32 crc32 of payload][payload]: the framing of the log and the idempotency journal. */
export const FRAME_HEADER_BYTES = 8;
/** Anything larger is a torn or corrupt length, not a real entry. */
export const MAX_FRAME_PAYLOAD = 512 * 1024 * 1024;

interface EntryHeader {
  l: number;
  t: string;
  s: string;
  b: string;
  at: string;
  v: number;
  bi: number;
  bs: number;
  n: number;
  nb: number;
  j: number;
  jb: number;
  /** The claim: Idempotency-Key, fingerprint, token, claimed at (absent without a key). */
  ik?: string;
  if?: string;
  it?: string;
  ic?: string;
}

/** Encodes a batch as one frame and returns the entry view over it. */
export function encodeEntry(lsn: number, batch: IngestBatch): { frame: Buffer; entry: LogEntry } {
  const nb = batch.records.length;
  const jb = batch.rejects.length;
  const header: EntryHeader = {
    l: lsn,
    t: batch.tenant,
    s: batch.stream,
    b: batch.batchId,
    at: batch.receivedAt,
    v: batch.schemaVersion,
    bi: batch.buffering.intervalSeconds,
    bs: batch.buffering.sizeMiB,
    n: batch.recordCount,
    nb,
    j: batch.rejectCount,
    jb,
  };
  if (batch.claim) {
    header.ik = batch.claim.key;
    header.if = batch.claim.fingerprint;
    if (batch.claim.token !== undefined) header.it = batch.claim.token;
    header.ic = batch.claim.createdAt;
  }
  const head = JSON.stringify(header) + '\n';
  const hb = Buffer.byteLength(head);
  const payloadBytes = hb + nb + jb;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  let at = FRAME_HEADER_BYTES;
  at += frame.write(head, at);
  at += batch.records.copy(frame, at);
  batch.rejects.copy(frame, at);
  frame.writeUInt32LE(payloadBytes, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return { frame, entry: entryOf(header, frame.subarray(FRAME_HEADER_BYTES + hb)) };
}

function entryOf(h: EntryHeader, body: Buffer): LogEntry {
  const entry: LogEntry = {
    lsn: h.l,
    tenant: h.t,
    stream: h.s,
    batchId: h.b,
    receivedAt: h.at,
    schemaVersion: h.v,
    buffering: { intervalSeconds: h.bi, sizeMiB: h.bs },
    recordCount: h.n,
    records: body.subarray(0, h.nb),
    rejectCount: h.j,
    rejects: body.subarray(h.nb, h.nb + h.jb),
  };
  if (typeof h.ik === 'string' && typeof h.if === 'string' && typeof h.ic === 'string') {
    entry.claim = { key: h.ik, fingerprint: h.if, createdAt: h.ic };
    if (typeof h.it === 'string') entry.claim.token = h.it;
  }
  return entry;
}

function parsePayload(payload: Buffer): LogEntry | undefined {
  const nl = payload.indexOf(10);
  if (nl < 0) return undefined;
  let h: EntryHeader;
  try {
    h = JSON.parse(payload.toString('utf8', 0, nl)) as EntryHeader;
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(h.l) || nl + 1 + h.nb + h.jb !== payload.length) return undefined;
  return entryOf(h, payload.subarray(nl + 1));
}

/** Where a scan of frames stopped: at the end of the buffer, inside a frame cut short, or at a bad frame. */
export type ScanStop = 'end' | 'short' | 'bad';

/**
 * Walks `[u32 length][u32 crc32][payload]` frames, handing each payload whose crc matches to `accept`
 * (false when it does not parse). `validBytes` ends before the first frame that is short, corrupt or
 * refused. Shared by the delivery log and the idempotency journal.
 */
export function scanFrames(
  buf: Buffer,
  accept: (payload: Buffer) => boolean,
): { validBytes: number; stop: ScanStop } {
  let at = 0;
  while (at + FRAME_HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32LE(at);
    if (len === 0 || len > MAX_FRAME_PAYLOAD) return { validBytes: at, stop: 'bad' };
    const end = at + FRAME_HEADER_BYTES + len;
    if (end > buf.length) return { validBytes: at, stop: 'short' };
    const payload = buf.subarray(at + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32LE(at + 4) || !accept(payload))
      return { validBytes: at, stop: 'bad' };
    at = end;
  }
  return { validBytes: at, stop: at === buf.length ? 'end' : 'short' };
}

/** One frame around a UTF-8 payload. */
export function encodeFrame(payload: string): Buffer {
  const bytes = Buffer.byteLength(payload);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bytes);
  frame.write(payload, FRAME_HEADER_BYTES);
  frame.writeUInt32LE(bytes, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

/**
 * Decodes the frames of one segment. `validBytes` ends at the first frame that is short, fails its
 * crc or does not parse: everything from there on is a torn tail that was never acknowledged.
 */
export function decodeFrames(buf: Buffer): { entries: LogEntry[]; validBytes: number } {
  const entries: LogEntry[] = [];
  const { validBytes } = scanFrames(buf, (payload) => {
    const entry = parsePayload(payload);
    if (entry) entries.push(entry);
    return entry !== undefined;
  });
  return { entries, validBytes };
}
