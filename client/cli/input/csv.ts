import { Readable, pipeline } from 'node:stream';
import { parse, type CsvError, type Info } from 'csv-parse';
import { CliError } from '../errors.js';
import { MAX_RAW_CHARS, rawText, type Item, type ReadFrom } from './items.js';

interface ParsedRow {
  record: Record<string, string>;
  info: Info;
}

/**
 * Newline positions of the bytes going into the parser, so items carry line numbers that do not depend on
 * how csv-parse counts lines (it counts one too many with \r\n). Queries must not go backwards; chunks
 * wholly before the last query are dropped, so it holds no more than the parser has not emitted yet.
 */
class LineIndex {
  private chunks: { base: number; bytes: Buffer }[] = [];
  private at: number;
  private count: number;
  private next: number;

  constructor(base: number, lines: number) {
    this.at = base;
    this.next = base;
    this.count = lines;
  }

  add(bytes: Buffer): void {
    this.chunks.push({ base: this.next, bytes });
    this.next += bytes.length;
  }

  /** Newlines before `offset`. */
  before(offset: number): number {
    while (this.at < offset && this.chunks.length) {
      const c = this.chunks[0];
      const end = Math.min(offset, c.base + c.bytes.length);
      for (let i = this.at - c.base; i < end - c.base; i++) if (c.bytes[i] === 0x0a) this.count++;
      this.at = end;
      if (end === c.base + c.bytes.length) this.chunks.shift();
    }
    return this.count;
  }

  /** The bytes [from, to), at most `max` of them (from must not be before the last query). */
  slice(from: number, to: number, max: number): Buffer {
    const parts: Buffer[] = [];
    for (const c of this.chunks) {
      const s = Math.max(from, c.base) - c.base;
      const e = Math.min(to, from + max, c.base + c.bytes.length) - c.base;
      if (e > s) parts.push(c.bytes.subarray(s, e));
    }
    return Buffer.concat(parts);
  }
}

/**
 * CSV rows through csv-parse: a header row names the columns, quoted fields may hold commas, quotes and
 * line breaks, \n or \r\n. A row with the wrong number of fields becomes an invalid item (csv-parse's
 * message) and reading goes on. `onHeader(columns)` is called once with the header; a resumed read starts
 * past it and is given the header it saved.
 */
export async function* csvItems(
  chunks: AsyncIterable<Buffer>,
  from: ReadFrom,
  onHeader?: (columns: string[]) => void,
): AsyncGenerator<Item[]> {
  if (from.offset !== 0 && !from.columns) throw new Error('a resumed CSV read needs its header');
  const index = new LineIndex(from.offset, from.line);
  const skipped: { error: string; end: number }[] = [];
  let prevEnd = from.offset;
  const parser = parse({
    bom: from.offset === 0,
    info: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    columns:
      from.columns ??
      ((header: string[]) => {
        header.forEach((name, i) => {
          if (name.trim() === '') throw new CliError(`CSV header: column ${i + 1} has no name`);
          if (header.indexOf(name) !== i) throw new CliError(`CSV header: column '${name}' appears twice`);
        });
        onHeader?.(header);
        return header;
      }),
    on_skip: (err: CsvError | undefined) => {
      // The error carries the parser's context, `bytes` (consumed so far) among it.
      const bytes = typeof err?.bytes === 'number' ? err.bytes : 0;
      // csv-parse counts lines from where this read started; the item carries the file's line.
      skipped.push({
        error: (err?.message ?? 'unreadable CSV row').replace(/ on line \d+$/, ''),
        end: from.offset + bytes,
      });
      return undefined;
    },
  });
  /** Where an item spanning [prevEnd, end) starts (past the blank lines before it), and its text if wanted. */
  let headerPending = !from.columns;
  const place = (end: number, wantRaw: boolean) => {
    let start = prevEnd;
    if (headerPending) {
      // The first item's span begins with the header line (a header's names hold no line breaks).
      headerPending = false;
      const nl = index.slice(start, end, 64 * 1024).indexOf(0x0a);
      if (nl !== -1) start += nl + 1;
    }
    for (;;) {
      const head = index.slice(start, end, 64);
      let skip = 0;
      while (skip < head.length && (head[skip] === 0x0a || head[skip] === 0x0d)) skip++;
      start += skip;
      if (skip < head.length || !head.length) break;
    }
    const line = index.before(start) + 1;
    const raw = wantRaw ? index.slice(start, end, MAX_RAW_CHARS * 4) : undefined;
    prevEnd = end;
    return { line, end, endLine: index.before(end), raw };
  };
  // Backpressure through pipeline(): csv-parse takes no more chunks while its rows are not read.
  const feed = async function* () {
    for await (const chunk of chunks) {
      index.add(chunk);
      yield chunk;
    }
  };
  pipeline(Readable.from(feed(), { objectMode: false }), parser, () => {});
  const invalid = (s: { error: string; end: number }): Item => {
    const p = place(s.end, true);
    return {
      kind: 'invalid',
      error: s.error,
      raw: rawText(p.raw!),
      line: p.line,
      end: p.end,
      endLine: p.endLine,
    };
  };
  for await (const row of parser as AsyncIterable<ParsedRow>) {
    const end = from.offset + row.info.bytes;
    const out: Item[] = [];
    while (skipped.length && skipped[0].end <= end) out.push(invalid(skipped.shift()!));
    const p = place(end, false);
    out.push({ kind: 'csv', row: row.record, line: p.line, end, endLine: p.endLine });
    yield out;
  }
  if (skipped.length) yield skipped.map(invalid);
}
