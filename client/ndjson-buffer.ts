/** Where a batch starts when nothing says how big it will be. */
const MIN_CAPACITY = 16 * 1024;

/**
 * The batch being built, as NDJSON bytes: each record's JSON text is written straight into it, which
 * also measures it (no Buffer.byteLength first, no join and copy when the batch is cut). The next
 * batch's buffer is sized after the last one, so it is rarely grown; the slack it keeps is at most
 * a quarter of a batch.
 */
export class NdjsonBuffer {
  /** Records in the batch. */
  count = 0;
  /** Bytes of the batch, newlines included. */
  bytes = 0;
  private buf = Buffer.allocUnsafeSlow(MIN_CAPACITY);

  /**
   * Writes `line` and its newline after the batch without adding it (see commit), when it surely
   * fits: at most 3 bytes of UTF-8 per UTF-16 unit. Answers its size in bytes, or 0 when it may not fit.
   */
  stage(line: string): number {
    const at = this.bytes;
    if (3 * line.length + 1 > this.buf.length - at) return 0;
    const n = this.buf.write(line, at, 'utf8');
    this.buf[at + n] = 0x0a;
    return n + 1;
  }

  /** Adds the record stage() just wrote. */
  commit(bytes: number): void {
    this.bytes += bytes;
    this.count++;
  }

  /** Adds `line`, whose size with its newline is `bytes`, growing the buffer if need be. */
  append(line: string, bytes: number): void {
    if (this.bytes + bytes > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.bytes + bytes));
      this.buf.copy(grown, 0, 0, this.bytes);
      this.buf = grown;
    }
    this.buf.write(line, this.bytes, 'utf8');
    this.buf[this.bytes + bytes - 1] = 0x0a;
    this.commit(bytes);
  }

  /** Hands the batch over (no copy) and starts the next one empty. */
  take(): Buffer {
    const batch = this.buf.subarray(0, this.bytes);
    this.buf = Buffer.allocUnsafeSlow(Math.max(MIN_CAPACITY, Math.ceil(this.bytes * 1.25)));
    this.bytes = 0;
    this.count = 0;
    return batch;
  }
}
