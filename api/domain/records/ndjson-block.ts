/**
 * Builds one NDJSON block (each line newline-terminated) into a single exactly-sized buffer.
 * A line is an ASCII head, then a body, then `}\n`. The body is either copied byte for byte from
 * the request (a record that arrived as a flat object on one line) or given as JSON text.
 * The copy is what makes ingest cheap: most records are never serialized again.
 */
export class NdjsonBlock {
  count = 0;
  private bytes = 0;
  private readonly heads: string[] = [];
  /** JSON text of the body, or null when it is copied from `source`. */
  private readonly texts: (string | null)[] = [];
  private readonly spans: number[] = [];

  /** `ascii` says the heads are pure ASCII (then they are written as latin1, the fastest path). */
  constructor(
    private readonly source: Buffer,
    private readonly ascii: boolean,
  ) {}

  /** A line whose body is source[start, end). */
  addCopied(head: string, start: number, end: number): void {
    this.heads.push(head);
    this.texts.push(null);
    this.spans.push(start, end);
    this.bytes += this.headBytes(head) + (end - start) + 2;
    this.count++;
  }

  /** A line whose body is `text` (JSON, never containing a raw line break). */
  addText(head: string, text: string): void {
    this.heads.push(head);
    this.texts.push(text);
    this.spans.push(0, 0);
    this.bytes += this.headBytes(head) + Buffer.byteLength(text) + 2;
    this.count++;
  }

  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes);
    const headEncoding = this.ascii ? 'latin1' : 'utf8';
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      at += out.write(this.heads[i], at, headEncoding);
      const text = this.texts[i];
      if (text === null) {
        at += this.source.copy(out, at, this.spans[2 * i], this.spans[2 * i + 1]);
      } else {
        at += out.write(text, at, 'utf8');
      }
      out[at++] = 0x7d;
      out[at++] = 0x0a;
    }
    return out;
  }

  private headBytes(head: string): number {
    return this.ascii ? head.length : Buffer.byteLength(head);
  }
}

/** Lines given as whole strings (without the newline), joined into one block. */
export function blockOfLines(lines: readonly string[]): Buffer {
  return lines.length === 0 ? Buffer.alloc(0) : Buffer.from(lines.join('\n') + '\n', 'utf8');
}
