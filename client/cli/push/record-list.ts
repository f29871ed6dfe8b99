const NL = 0x0a;

/**
 * The records of one batch, packed: their bytes one after the other, each followed by a newline, with
 * where each ends and the input line it came from. A batch lives until it is committed, long enough
 * for an object per record (and a Buffer view of the input chunk) to outlive the young generation;
 * this holds three objects however many records it has, and an NDJSON body is its bytes as they are.
 */
export class RecordList {
  length = 0;
  private data: Buffer;
  private size = 0;
  private ends: Float64Array;
  private lines: Float64Array;

  /** A list holding `entries`, in order. */
  static of(entries: readonly { text: Uint8Array; line: number }[]): RecordList {
    const list = new RecordList();
    for (const e of entries) list.push(e.text, e.line);
    return list;
  }

  constructor(capacityBytes = 64 * 1024, capacityRecords = 64) {
    this.data = Buffer.allocUnsafeSlow(Math.max(1024, capacityBytes));
    this.ends = new Float64Array(Math.max(16, capacityRecords));
    this.lines = new Float64Array(Math.max(16, capacityRecords));
  }

  /** Adds a record (its JSON text, one line) read from input line `line`. */
  push(text: Uint8Array, line: number): void {
    if (this.size + text.length + 1 > this.data.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.data.length, this.size + text.length + 1));
      this.data.copy(grown, 0, 0, this.size);
      this.data = grown;
    }
    if (this.length === this.ends.length) {
      this.ends = grow(this.ends);
      this.lines = grow(this.lines);
    }
    this.data.set(text, this.size);
    this.size += text.length;
    this.data[this.size++] = NL;
    this.ends[this.length] = this.size;
    this.lines[this.length] = line;
    this.length++;
  }

  /** The text of record `i` (a view, no copy). */
  text(i: number): Buffer {
    return this.data.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i] - 1);
  }

  /** The input line record `i` came from. */
  line(i: number): number {
    return this.lines[i];
  }

  /** Every record, each followed by a newline: an NDJSON body (a view, no copy). */
  ndjson(): Buffer {
    return this.data.subarray(0, this.size);
  }

  /** The records as a JSON array. */
  jsonArray(): Buffer {
    if (this.length === 0) return Buffer.from('[]');
    const out = Buffer.allocUnsafe(this.size + 2);
    out[0] = 0x5b;
    this.data.copy(out, 1, 0, this.size);
    // Each newline but the last becomes the comma between two elements; the last, the closing bracket.
    for (let i = 0; i < this.length; i++) out[this.ends[i]] = i === this.length - 1 ? 0x5d : 0x2c;
    return out.subarray(0, this.size + 1);
  }

  /** Bytes held, newlines included. */
  get bytes(): number {
    return this.size;
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
