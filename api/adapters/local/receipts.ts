import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { LogFile } from './log.js';

/** One batch's share of one published object. */
export interface ReceiptLine {
  /** Object key. */
  k: string;
  t: string;
  s: string;
  b: string;
  /** receivedAt, accepted and rejected of the whole batch. */
  at: string;
  a: number;
  r: number;
}

const FILE = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})\.ndjson$/;
const HOUR_MS = 3_600_000;

/**
 * Append-only receipts index, one file per hour of publication, so receipts outlive a restart and
 * pruning is deleting whole files. Lines are written (and synced) before the object they name
 * becomes visible, so a published object always has its receipts.
 */
export class ReceiptIndex {
  private queue: { lines: string; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;
  private current: { name: string; fh: LogFile; needsNewline: boolean } | undefined;

  constructor(
    private readonly dir: string,
    private readonly retentionMs: number,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await this.prune();
  }

  /** Appends and syncs; concurrent calls share one write and one fdatasync. */
  append(lines: ReceiptLine[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    let text = '';
    for (const l of lines) text += JSON.stringify(l) + '\n';
    return new Promise((resolve, reject) => {
      this.queue.push({ lines: text, resolve, reject });
      if (!this.writing) this.writing = this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        try {
          const fh = await this.fileFor(this.now());
          const bufs = group.map((g) => Buffer.from(g.lines));
          // A crash mid-append can leave a torn last line; never glue a new line onto it.
          if (this.current?.needsNewline) bufs.unshift(Buffer.from('\n'));
          await fh.writev(bufs);
          if (this.current) this.current.needsNewline = false;
          await fh.datasync();
          for (const g of group) g.resolve();
        } catch (err) {
          for (const g of group) g.reject(err);
          await this.closeCurrent();
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async fileFor(ms: number): Promise<LogFile> {
    const d = new Date(ms);
    const p = (n: number) => String(n).padStart(2, '0');
    const name = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}.ndjson`;
    if (this.current?.name === name) return this.current.fh;
    await this.closeCurrent();
    const file = path.join(this.dir, name);
    const fh = await fs.open(file, 'a+');
    const { size } = await fh.stat();
    let needsNewline = false;
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      needsNewline = last[0] !== 10;
    }
    this.current = { name, fh, needsNewline };
    // A new hour file: make its directory entry durable too.
    const dh = await fs.open(this.dir, 'r');
    await dh.sync().finally(() => dh.close());
    void this.prune().catch((err: unknown) => this.logger.warn({ err }, 'pruning receipts failed'));
    return fh;
  }

  private async closeCurrent(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    await cur?.fh.close().catch(() => undefined);
  }

  /** Deletes hour files that ended more than the retention ago. */
  async prune(): Promise<void> {
    const cutoff = this.now() - this.retentionMs;
    for (const name of await fs.readdir(this.dir)) {
      const m = FILE.exec(name);
      if (!m) continue;
      const start = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
      if (start + HOUR_MS < cutoff && name !== this.current?.name)
        await fs.rm(path.join(this.dir, name), { force: true });
    }
  }

  /** Every line for the batch, scanning the retained files (for receipts no longer in memory). */
  async find(tenant: string, stream: string, batchId: string): Promise<ReceiptLine[]> {
    const names = (await fs.readdir(this.dir))
      .filter((n) => FILE.test(n))
      .sort()
      .reverse();
    const out: ReceiptLine[] = [];
    for (const name of names) {
      const rl = createInterface({ input: createReadStream(path.join(this.dir, name)), crlfDelay: Infinity });
      for await (const line of rl) {
        if (!line.includes(batchId)) continue;
        try {
          const l = JSON.parse(line) as ReceiptLine;
          if (l.b === batchId && l.t === tenant && l.s === stream) out.push(l);
        } catch {
          // A torn last line from a crash mid-append; its object was never made visible.
        }
      }
    }
    return out;
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.closeCurrent();
  }
}
