import { crc32 } from 'node:zlib';
import type { WireBatch } from './deliver.js';

/** A batch in the spool: its exact wire bytes and Idempotency-Key, so a replay is the same request. */
export interface SpoolEntry extends WireBatch {
  /** How many records the body holds. */
  records: number;
  /** When it was spooled (ISO 8601). */
  spooledAt: string;
}

/**
 * A frame: u32 LE payload length, u32 LE CRC-32 of the payload, then the payload (u32 LE length of a JSON
 * header, the header, the body). A frame cut short by a crash fails the length or the checksum, which
 * marks the end of the valid part of its segment.
 */
export const FRAME_HEADER_BYTES = 8;
const VERSION = 1;

interface Meta {
  v: number;
  key: string;
  tenant: string;
  stream: string;
  contentType: string;
  gzip: boolean;
  atomic?: boolean;
  records: number;
  spooledAt: string;
}

export function encodeFrame(e: SpoolEntry): Buffer {
  const meta: Meta = {
    v: VERSION,
    key: e.idempotencyKey,
    tenant: e.tenant,
    stream: e.stream,
    contentType: e.contentType,
    gzip: e.gzip,
    ...(e.atomic ? { atomic: true } : {}),
    records: e.records,
    spooledAt: e.spooledAt,
  };
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  const payloadBytes = 4 + metaBytes.byteLength + e.body.byteLength;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  frame.writeUInt32LE(payloadBytes, 0);
  frame.writeUInt32LE(metaBytes.byteLength, FRAME_HEADER_BYTES);
  metaBytes.copy(frame, FRAME_HEADER_BYTES + 4);
  frame.set(e.body, FRAME_HEADER_BYTES + 4 + metaBytes.byteLength);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

/** The payload length a frame header announces. */
export const payloadLength = (header: Buffer): number => header.readUInt32LE(0);

/** The entry in a frame's payload, or undefined when the checksum or the header does not hold. */
export function decodePayload(header: Buffer, payload: Buffer): SpoolEntry | undefined {
  if (payload.byteLength !== header.readUInt32LE(0) || crc32(payload) !== header.readUInt32LE(4))
    return undefined;
  if (payload.byteLength < 4) return undefined;
  const metaBytes = payload.readUInt32LE(0);
  if (4 + metaBytes > payload.byteLength) return undefined;
  let meta: Meta;
  try {
    meta = JSON.parse(payload.subarray(4, 4 + metaBytes).toString('utf8')) as Meta;
  } catch {
    return undefined;
  }
  if (meta.v !== VERSION) return undefined;
  return {
    tenant: meta.tenant,
    stream: meta.stream,
    idempotencyKey: meta.key,
    contentType: meta.contentType,
    gzip: meta.gzip,
    ...(meta.atomic ? { atomic: true } : {}),
    records: meta.records,
    spooledAt: meta.spooledAt,
    // A copy: the entry outlives the read buffer it came from.
    body: Uint8Array.prototype.slice.call(payload, 4 + metaBytes),
  };
}

/**
 * Walks the frames of a segment's bytes from `from`: the offset just past the last valid frame (where a
 * torn tail, if any, begins) and the frames' count.
 */
export function scanFrames(bytes: Buffer, from: number): { end: number; frames: number } {
  let at = from;
  let frames = 0;
  while (at + FRAME_HEADER_BYTES <= bytes.byteLength) {
    const header = bytes.subarray(at, at + FRAME_HEADER_BYTES);
    const len = payloadLength(header);
    const stop = at + FRAME_HEADER_BYTES + len;
    if (stop > bytes.byteLength) break;
    if (!decodePayload(header, bytes.subarray(at + FRAME_HEADER_BYTES, stop))) break;
    at = stop;
    frames++;
  }
  return { end: at, frames };
}
