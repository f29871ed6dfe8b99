/** Anything outside printable ASCII; such text must be encoded as UTF-8 rather than latin1. */
const NON_ASCII = /[^\x20-\x7e]/;

/** The request body the records were parsed from, and the same body as a string when it is all ASCII. */
export interface BlockSource {
  bytes: Buffer;
  /** The body from byte `asciiFrom` on, when every byte of it is ASCII (then byte offsets are string offsets). */
  ascii?: string;
  asciiFrom: number;
}

/** The text of bytes [start, end) of the source. */
export function sourceText(source: BlockSource, start: number, end: number): string {
  const { ascii, asciiFrom, bytes } = source;
  return ascii !== undefined
    ? ascii.slice(start - asciiFrom, end - asciiFrom)
    : bytes.toString('utf8', start, end);
}

/**
 * Builds one NDJSON block (each line newline-terminated) as a single buffer.
 * A line is a head, then a body, then `}\n`. The body is either the record's text as it arrived
 * (a record that came as a flat object on one line) or given as JSON text. The copy is what makes
 * ingest cheap: most records are never serialized again, and for an ASCII body the whole block is
 * one string join (slices of the body cost no copy) and one latin1 encode.
 */
export class NdjsonBlock {
  count = 0;
  private readonly parts: string[] = [];
  private utf8: boolean;

  /** `asciiHeads` says every head passed in is printable ASCII. */
  constructor(
    private readonly source: BlockSource,
    asciiHeads: boolean,
  ) {
    this.utf8 = !asciiHeads;
  }

  /** A line whose body is the source's bytes [start, end). */
  addCopied(head: string, start: number, end: number): void {
    if (this.source.ascii === undefined) this.utf8 = true;
    this.parts.push(head, sourceText(this.source, start, end), '}\n');
    this.count++;
  }

  /** A line whose body is `text` (JSON, never containing a raw line break). */
  addText(head: string, text: string): void {
    if (!this.utf8 && NON_ASCII.test(text)) this.utf8 = true;
    this.parts.push(head, text, '}\n');
    this.count++;
  }

  toBuffer(): Buffer {
    if (this.count === 0) return Buffer.alloc(0);
    return Buffer.from(this.parts.join(''), this.utf8 ? 'utf8' : 'latin1');
  }
}

/** Lines given as whole strings (without the newline), joined into one block. */
export function blockOfLines(lines: readonly string[]): Buffer {
  return lines.length === 0 ? Buffer.alloc(0) : Buffer.from(lines.join('\n') + '\n', 'utf8');
}
