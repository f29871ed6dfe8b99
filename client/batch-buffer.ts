/** Where a batch starts when nothing says how big it will be. */
const MIN_CAPACITY = 16 * 1024;
const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/**
 * The batch being built, as the bytes of a JSON array: each record's JSON text is written straight into
 * it, which also measures it (no Buffer.byteLength first, no join and copy when the batch is cut). An
 * array rather than NDJSON because the API parses it with one JSON.parse instead of one per line, which
 * costs the server less per record. The next batch's buffer is sized after the last one, so it is rarely
 * grown; the slack it keeps is at most a quarter of a batch.
 */
export class BatchBuffer {
  /** Records in the batch. */
  count = 0;
  /**
   * Bytes of the records, each counted with the comma (or closing bracket) after it; the batch as sent
   * is one byte more, its opening bracket.
   */
  bytes = 0;
  private buf = BatchBuffer.fresh(MIN_CAPACITY);

  private static fresh(capacity: number): Buffer {
    const buf = Buffer.allocUnsafeSlow(capacity);
    buf[0] = OPEN;
    return buf;
  }

  /**
   * Writes `line` and its comma after the batch without adding it (see commit), when it surely fits: at
   * most 3 bytes of UTF-8 per UTF-16 unit. Answers its size in bytes, or 0 when it may not fit.
   */
  stage(line: string): number {
    const at = 1 + this.bytes;
    if (3 * line.length + 1 > this.buf.length - at) return 0;
    const n = this.buf.write(line, at, 'utf8');
    this.buf[at + n] = COMMA;
    return n + 1;
  }

  /** Adds the record stage() just wrote. */
  commit(bytes: number): void {
    this.bytes += bytes;
    this.count++;
  }

  /** Adds `line`, whose size with its comma is `bytes`, growing the buffer if need be. */
  append(line: string, bytes: number): void {
    const at = 1 + this.bytes;
    if (at + bytes > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, at + bytes));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.buf.write(line, at, 'utf8');
    this.buf[at + bytes - 1] = COMMA;
    this.commit(bytes);
  }

  /** Hands the batch over as a JSON array (no copy) and starts the next one empty. Needs a record. */
  take(): Buffer {
    // The last record's comma closes the array.
    this.buf[this.bytes] = CLOSE;
    const batch = this.buf.subarray(0, 1 + this.bytes);
    this.buf = BatchBuffer.fresh(Math.max(MIN_CAPACITY, Math.ceil((1 + this.bytes) * 1.25)));
    this.bytes = 0;
    this.count = 0;
    return batch;
  }
}
