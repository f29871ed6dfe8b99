import { MAX_RAW_CHARS, MAX_RECORD_BYTES, rawText, type Item, type ReadFrom } from './items.js';

const NL = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0d || c === 0x09;
}

/**
 * One item per non-blank line, handed on an input chunk's worth at a time (a yield per record would cost
 * more than the record's own handling), trimmed as the server trims (spaces, tabs, the \r of \r\n). A line
 * longer than MAX_RECORD_BYTES becomes an invalid item without being held in memory. JSON validity
 * is the caller's to check (infer parses each record; push leaves it to the server, see batches.ts).
 */
export async function* ndjsonItems(chunks: AsyncIterable<Buffer>, from: ReadFrom): AsyncGenerator<Item[]> {
  let base = from.offset; // offset of the first byte of `parts`
  let line = from.line;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let skipping = false; // inside an over-long line: its bytes are dropped, not kept
  let head: Buffer | undefined; // the start of an over-long line, for the reject
  let first = from.offset === 0;
  const tooLong = `the record is longer than ${MAX_RECORD_BYTES} bytes`;

  /** The item of the line in buf[from, to): one view of the trimmed text, no copy. */
  const finish = (buf: Buffer, from: number, to: number, end: number): Item | undefined => {
    line++;
    let s = from;
    if (first) {
      first = false;
      if (to - from >= 3 && buf[s] === BOM[0] && buf[s + 1] === BOM[1] && buf[s + 2] === BOM[2]) s += 3;
    }
    let e = to;
    while (s < e && isWs(buf[s])) s++;
    while (e > s && isWs(buf[e - 1])) e--;
    if (s === e) return undefined;
    return { kind: 'json', text: buf.subarray(s, e), line, end, endLine: line };
  };

  let out: Item[] = [];
  for await (const chunk of chunks) {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl === -1) break;
      const end = base + partBytes + (nl + 1 - pos);
      if (skipping) {
        line++;
        out.push({ kind: 'invalid', error: tooLong, raw: rawText(head!), line, end, endLine: line });
        skipping = false;
        head = undefined;
      } else if (partBytes + nl - pos > MAX_RECORD_BYTES) {
        // Completed within this chunk, but still too long to send: refused like one that never ended.
        line++;
        const head = parts.length ? parts[0] : chunk.subarray(pos, nl);
        out.push({ kind: 'invalid', error: tooLong, raw: rawText(head), line, end, endLine: line });
      } else {
        let item: Item | undefined;
        if (parts.length) {
          const text = Buffer.concat([...parts, chunk.subarray(pos, nl)]);
          item = finish(text, 0, text.length, end);
        } else {
          item = finish(chunk, pos, nl, end);
        }
        if (item) out.push(item);
      }
      parts = [];
      partBytes = 0;
      base = end;
      pos = nl + 1;
    }
    if (out.length) {
      yield out;
      out = [];
    }
    const rest = chunk.subarray(pos);
    if (!rest.length) continue;
    if (skipping) {
      partBytes += rest.length;
      continue;
    }
    parts.push(rest);
    partBytes += rest.length;
    if (partBytes > MAX_RECORD_BYTES) {
      head = Buffer.concat(parts).subarray(0, MAX_RAW_CHARS * 4);
      parts = [];
      skipping = true;
    }
  }
  const end = base + partBytes;
  if (skipping) {
    line++;
    out.push({ kind: 'invalid', error: tooLong, raw: rawText(head!), line, end, endLine: line });
  } else if (parts.length) {
    const text = Buffer.concat(parts);
    const item = finish(text, 0, text.length, end);
    if (item) out.push(item);
  }
  if (out.length) yield out;
}
