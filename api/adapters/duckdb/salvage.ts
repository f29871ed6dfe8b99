/**
 * The pure half of salvaging a lake object the warehouse refused: splitting it into lines, finding the
 * bad ones by bisection, and encoding a bad line so that it can itself be stored.
 */

/** The object's non-blank lines, as byte ranges of the original (never decoded, never altered). */
export function splitLines(buf: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    const line = buf.subarray(start, end);
    if (!isBlank(line)) lines.push(line);
    start = end + 1;
  }
  return lines;
}

function isBlank(line: Buffer): boolean {
  for (const b of line) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

/** A probe's verdict on a run of lines: undefined when they load, else the engine's message. */
export type Probe = (first: number, end: number) => Promise<string | undefined>;

export interface BadLine {
  index: number;
  message: string;
}

/**
 * Finds every line in [0, count) that fails `probe`, knowing the whole run fails with `message`.
 * Halves each failing run until single lines remain, so k bad lines among n cost about 2k·log2(n)
 * probes; runs of `lineByLine` lines or fewer are probed line by line.
 */
export async function findBadLines(
  count: number,
  message: string,
  probe: Probe,
  lineByLine = 4,
): Promise<BadLine[]> {
  const bad: BadLine[] = [];
  const visit = async (first: number, end: number, known: string): Promise<void> => {
    if (end - first === 1) {
      bad.push({ index: first, message: known });
      return;
    }
    if (end - first <= lineByLine) {
      for (let i = first; i < end; i++) {
        const m = await probe(i, i + 1);
        if (m !== undefined) bad.push({ index: i, message: m });
      }
      return;
    }
    const mid = first + Math.ceil((end - first) / 2);
    const left = await probe(first, mid);
    if (left !== undefined) await visit(first, mid, left);
    // When the left half loads, the failure must lie in the right one: no need to probe it whole.
    const right = left === undefined ? known : await probe(mid, end);
    if (right !== undefined) await visit(mid, end, right);
  };
  if (count > 0) await visit(0, count, message);
  return bad;
}

/**
 * A line's text with every byte that is not well-formed UTF-8 (a stray continuation byte, an overlong
 * form, an encoded surrogate, a truncated sequence) written out as the text `\xNN`. The result is a
 * well-formed string: JSON.stringify of it is valid JSON any engine can store, whatever the line held.
 */
export function wellFormedText(buf: Buffer): string {
  let out = '';
  let from = 0;
  let i = 0;
  const flushValid = () => {
    if (i > from) out += buf.toString('utf8', from, i);
  };
  while (i < buf.length) {
    const n = validSequenceLength(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    flushValid();
    out += `\\x${buf[i].toString(16).toUpperCase().padStart(2, '0')}`;
    i++;
    from = i;
  }
  flushValid();
  return out;
}

/** Bytes in the well-formed UTF-8 sequence at i (RFC 3629 table), or 0 when there is none. */
function validSequenceLength(buf: Buffer, i: number): number {
  const b0 = buf[i];
  if (b0 < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < buf.length && buf[j] >= lo && buf[j] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 === 0xe0) return cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
  // 0xED 0xA0..0xBF would encode a surrogate (U+D800..U+DFFF).
  if (b0 === 0xed) return cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
  if (b0 >= 0xe1 && b0 <= 0xef) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (b0 === 0xf0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b0 === 0xf4) return cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

/** Where a bad line came from, read from its text as far as it can be; null for what cannot be read. */
export interface LineOrigin {
  batchId: string | null;
  index: number | null;
  receivedAt: string | null;
  schemaVersion: number | null;
}

const INT32_MAX = 2 ** 31 - 1;

export function lineOrigin(text: string): LineOrigin {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // A malformed line: its metadata is usually intact, ahead of the record that broke it.
    const batch = /"_batch_id"\s*:\s*"([^"\\]{1,64})"/.exec(text);
    const index = /"_index"\s*:\s*(\d{1,10})\b/.exec(text);
    const at = /"_received_at"\s*:\s*"([0-9T:.+\-Z]{10,40})"/.exec(text);
    const version = /"_schema_version"\s*:\s*(\d{1,10})\b/.exec(text);
    return {
      batchId: batch ? batch[1] : null,
      index: index ? int32(Number(index[1])) : null,
      receivedAt: at ? at[1] : null,
      schemaVersion: version ? int32(Number(version[1])) : null,
    };
  }
  const o = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  return {
    batchId: wellFormed(o._batch_id),
    index: int32(o._index),
    receivedAt: wellFormed(o._received_at),
    schemaVersion: int32(o._schema_version),
  };
}

function int32(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= INT32_MAX ? v : null;
}

/** A string without lone surrogates (with the u flag a proper pair is one code point, not Cs). */
function wellFormed(v: unknown): string | null {
  return typeof v === 'string' && !/\p{Cs}/u.test(v) ? v : null;
}
