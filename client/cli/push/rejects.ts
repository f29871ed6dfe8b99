import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import type { IngestResult } from '../../index.js';
import type { Batch } from './batches.js';

/**
 * `<file>.rejects.ndjson`: one line per record the server rejected (with its errors) or the CLI could not
 * read. Lines are written in input order, batch by batch as batches commit, so a resume can cut the file
 * back to what its checkpoint covers and write nothing twice.
 */
export class RejectsFile {
  private fh: FileHandle | undefined;
  private size = 0;
  private dirty = false;
  private syncing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** A fresh push starts an empty file; a resumed one cuts it back to `resumeAt` bytes. */
  async start(resumeAt?: number): Promise<void> {
    if (resumeAt === undefined) {
      await rm(this.path, { force: true });
      return;
    }
    const existing = await stat(this.path).catch(() => undefined);
    if (!existing) return;
    this.fh = await open(this.path, 'r+');
    await this.fh.truncate(Math.min(resumeAt, existing.size));
    this.size = Math.min(resumeAt, existing.size);
  }

  get bytes(): number {
    return this.size;
  }

  async write(lines: string[]): Promise<void> {
    if (!lines.length) return;
    this.fh ??= await open(this.path, 'a');
    const text = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    await this.fh.write(text, 0, text.length, this.size);
    this.size += text.length;
    this.dirty = true;
  }

  /**
   * Before a checkpoint claims these bytes, they are on disk. Syncs run one after the other, and a
   * call with nothing new to sync still waits for the one in progress, which holds its bytes.
   */
  sync(): Promise<void> {
    if (this.fh && this.dirty) {
      this.dirty = false;
      const fh = this.fh;
      this.syncing = this.syncing.then(() => fh.datasync());
    }
    return this.syncing;
  }

  /** Closes it; an empty file is removed (no rejects, no file). */
  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    if (this.size === 0) await rm(this.path, { force: true });
  }
}

function parsed(text: Buffer): unknown {
  try {
    return JSON.parse(text.toString('utf8'));
  } catch {
    return text.toString('utf8');
  }
}

/**
 * The reject lines of one answered batch, in input order. The server lists at most the first 100
 * errors of a batch; for the rest one line says how many and where to find them.
 */
export function rejectLines(batch: Batch, result: IngestResult | undefined, stream: string): string[] {
  const out: { line: number; text: string }[] = [];
  for (const r of batch.invalid)
    out.push({
      line: r.line,
      text: JSON.stringify({ line: r.line, errors: [{ path: '', message: r.error }], raw: r.raw }),
    });
  if (result) {
    const byIndex = new Map<number, { path: string; message: string }[]>();
    for (const e of result.errors) {
      const list = byIndex.get(e.index) ?? [];
      list.push({ path: e.path, message: e.message });
      byIndex.set(e.index, list);
    }
    const { records } = batch;
    for (const [index, errors] of byIndex) {
      if (!Number.isInteger(index) || index < 0 || index >= records.length) continue;
      const line = records.line(index);
      out.push({
        line,
        text: JSON.stringify({
          line,
          batchId: result.batchId,
          index,
          errors,
          record: parsed(records.text(index)),
        }),
      });
    }
    const unlisted = result.errorsTruncated ? result.rejected - byIndex.size : 0;
    if (unlisted > 0) {
      const last = records.length ? records.line(records.length - 1) : 0;
      out.push({
        line: last,
        text: JSON.stringify({
          batchId: result.batchId,
          lines: [records.length ? records.line(0) : 0, last],
          unlisted,
          message: `the server listed only the first errors of this batch; \`tributary rejections ${stream} --batch ${result.batchId}\` shows all ${result.rejected}`,
        }),
      });
    }
  }
  return out.sort((a, b) => a.line - b.line).map((o) => o.text);
}
