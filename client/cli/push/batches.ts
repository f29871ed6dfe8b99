import { isUtf8 } from 'node:buffer';
import type { Format, Item, ReadFrom } from '../input/items.js';
import { batchKey } from './checkpoint.js';
import { RecordList } from './record-list.js';

export interface BatchLimits {
  records: number;
  bytes: number;
}

/** A record that could not be read; it goes to the rejects file and is never sent. */
export interface InvalidRecord {
  line: number;
  raw: string;
  error: string;
}

export interface Batch {
  seq: number;
  /** The byte range of the input it covers, [start, end); the next batch starts at `end`. */
  start: number;
  end: number;
  /** Newlines before `end`: the checkpoint's line once this batch is committed. */
  endLine: number;
  /** The records the server will see, a record's index in the request being its index here. */
  records: RecordList;
  invalid: InvalidRecord[];
  bytes: number;
  idempotencyKey: string;
}

/** Turns an item into the bytes to send, or says why it cannot be sent. */
export type Encode = (item: Item) => Buffer | { error: string; raw: string };

/** Why a record's JSON text cannot be sent (the server would refuse the whole request), or undefined. */
export function jsonProblem(text: Buffer): string | undefined {
  if (!isUtf8(text)) return 'not valid UTF-8';
  try {
    JSON.parse(text.toString('utf8'));
    return undefined;
  } catch (err) {
    return `malformed JSON: ${(err as Error).message}`;
  }
}

/**
 * JSON text is sent as read, unchecked: parsing every record here would cost the CLI a third of its CPU.
 * The server refuses a request holding a malformed record with 400 before it claims the Idempotency-Key,
 * and `separateUnreadable` then takes such records out (see push-file.ts).
 */
export function encodeJson(item: Item): Buffer | { error: string; raw: string } {
  if (item.kind === 'invalid') return { error: item.error, raw: item.raw };
  if (item.kind !== 'json') throw new Error('expected a JSON item');
  return item.text;
}

/**
 * Moves the records of `batch` that do not parse into its unreadable list; returns how many moved. The
 * result is a function of the batch alone, so a resumed push that meets the same 400 sends the very same
 * body under the same key.
 */
export function separateUnreadable(batch: Batch): number {
  const keep = new RecordList(batch.records.bytes);
  let moved = 0;
  for (let i = 0; i < batch.records.length; i++) {
    const text = batch.records.text(i);
    const line = batch.records.line(i);
    const problem = jsonProblem(text);
    if (problem === undefined) keep.push(text, line);
    else {
      batch.invalid.push({ line, raw: text.toString('utf8').slice(0, 1024), error: problem });
      moved++;
    }
  }
  batch.records = keep;
  batch.invalid.sort((a, b) => a.line - b.line);
  return moved;
}

/**
 * Cuts items into batches of at most `limits.records` items and `limits.bytes` bytes (a single larger
 * record goes alone). The cut
 * depends only on the items from `from` on, so a resumed push starting at a batch boundary cuts the
 * very same batches, with the very same keys.
 */
export async function* batchesOf(
  items: AsyncIterable<Item[]>,
  o: { from: ReadFrom; limits: BatchLimits; runId: string; encode: Encode },
): AsyncGenerator<Batch> {
  let seq = 0;
  let start = o.from.offset;
  let current: Batch | undefined;
  // Each batch's buffer is sized after the last one's, so it is rarely grown.
  let lastBytes = 0;
  const fresh = (): Batch => ({
    seq: seq++,
    start,
    end: start,
    endLine: o.from.line,
    records: new RecordList(
      Math.min(o.limits.bytes, Math.ceil(lastBytes * 1.1)) || undefined,
      Math.min(o.limits.records, 16_384),
    ),
    invalid: [],
    bytes: 0,
    idempotencyKey: '',
  });
  const seal = (b: Batch): Batch => {
    b.idempotencyKey = batchKey(o.runId, b.start, b.end);
    lastBytes = b.records.bytes;
    start = b.end;
    return b;
  };
  for await (const list of items) {
    for (const item of list) {
      const encoded = o.encode(item);
      const size = Buffer.isBuffer(encoded) ? encoded.length + 1 : 0;
      // Cut before a record that would take the batch past its byte budget (the server caps bodies).
      if (current?.records.length && current.bytes + size > o.limits.bytes) {
        yield seal(current);
        current = undefined;
      }
      current ??= fresh();
      if (Buffer.isBuffer(encoded)) current.records.push(encoded, item.line);
      else current.invalid.push({ line: item.line, ...encoded });
      current.bytes += size;
      current.end = item.end;
      current.endLine = item.endLine;
      if (current.records.length + current.invalid.length >= o.limits.records) {
        yield seal(current);
        current = undefined;
      }
    }
  }
  if (current) yield seal(current);
}

/** The request body: NDJSON, or for a JSON-array input a JSON array (its elements may span lines). */
export function bodyOf(batch: Batch, format: Format): { body: Buffer; contentType: string } {
  if (format === 'json') return { body: batch.records.jsonArray(), contentType: 'application/json' };
  return { body: batch.records.ndjson(), contentType: 'application/x-ndjson' };
}
