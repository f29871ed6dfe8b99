import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { DependencyUnavailableError } from '../../domain/errors.js';
import { decodeFrames, FRAME_HEADER_BYTES, type LogEntry } from './frame.js';

/** The file operations the log needs; injectable so tests can observe and fail them. */
export interface LogFile {
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  /** Writes at `position` (used only to mark a failed write torn when it cannot be cut off). */
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  truncate(len: number): Promise<void>;
  close(): Promise<void>;
}

export interface LogFs {
  /** Creates a new file exclusively. */
  create(file: string): Promise<LogFile>;
  syncDir(dir: string): Promise<void>;
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export const nodeLogFs: LogFs = {
  create: (file) => fs.open(file, 'wx'),
  syncDir,
};

export interface RecoveredSegment {
  id: number;
  entries: LogEntry[];
}

interface Segment {
  id: number;
  file: string;
  /** Entry parts written here and not yet published. */
  pending: number;
  /** No longer written to; deletable once nothing is pending. */
  sealed: boolean;
}

interface Pending {
  lsn: number;
  frame: Buffer;
  onDurable: (segment: number) => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

const SEGMENT_NAME = /^(\d{16})\.log$/;

export function segmentName(id: number): string {
  return `${String(id).padStart(16, '0')}.log`;
}

/**
 * Segmented write-ahead log with group commit: every frame queued while one write+fdatasync is in
 * flight goes out in the next single write and is acknowledged by the next single fdatasync.
 */
export class WriteAheadLog {
  private readonly segments = new Map<number, Segment>();
  private active: { seg: Segment; fh: LogFile; size: number } | undefined;
  private queue: Pending[] = [];
  private committing: Promise<void> | undefined;
  private deletions = new Set<Promise<void>>();
  private bytesQueued = 0;
  private closed = false;
  /**
   * Set after a failed write or fdatasync until the active segment's tail past `size` is known not to
   * hold a frame (see cutBack). Until then nothing is written and appends are refused.
   */
  private uncut: { size: number } | undefined;

  constructor(
    private readonly opts: {
      dir: string;
      segmentBytes: number;
      fs: LogFs;
      logger: Logger;
      /**
       * Makes durable elsewhere what a published segment still holds that nothing else does (the
       * idempotency claims its entries carry); a segment is deleted only once it resolves.
       */
      beforeDelete?: () => Promise<void>;
      /** Wait before trying again to delete a segment whose beforeDelete failed. */
      deleteRetryMs?: number;
    },
  ) {}

  get queuedBytes(): number {
    return this.bytesQueued;
  }

  get queuedEntries(): number {
    return this.queue.length;
  }

  /**
   * Reads every segment in order and truncates a torn tail (a frame that was being written when the
   * process died was never acknowledged). Start-up only, so sync reads are fine.
   */
  async recover(): Promise<{ segments: RecoveredSegment[]; maxLsn: number }> {
    await fs.mkdir(this.opts.dir, { recursive: true });
    const names = (await fs.readdir(this.opts.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    const out: RecoveredSegment[] = [];
    let maxLsn = 0;
    for (const name of names) {
      const id = Number(SEGMENT_NAME.exec(name)![1]);
      const file = path.join(this.opts.dir, name);
      const buf = await fs.readFile(file);
      const { entries, validBytes } = decodeFrames(buf);
      if (validBytes < buf.length) {
        this.opts.logger.warn(
          { segment: name, droppedBytes: buf.length - validBytes },
          'truncating torn log tail',
        );
        const fh = await fs.open(file, 'r+');
        try {
          await fh.truncate(validBytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
      maxLsn = Math.max(maxLsn, id, ...entries.map((e) => e.lsn));
      this.segments.set(id, { id, file, pending: 0, sealed: true });
      out.push({ id, entries });
    }
    return { segments: out, maxLsn };
  }

  /** Marks parts of recovered or newly written entries as awaiting publication. */
  hold(segment: number, parts: number): void {
    const seg = this.segments.get(segment);
    if (seg) seg.pending += parts;
  }

  /** Parts were published; deletes the segment once nothing in it is pending. */
  release(segment: number, parts: number): void {
    const seg = this.segments.get(segment);
    if (!seg) return;
    seg.pending -= parts;
    this.maybeDelete(seg);
  }

  /** Deletes sealed segments with nothing pending (after recovery has accounted for every entry). */
  sweep(): void {
    for (const seg of [...this.segments.values()]) this.maybeDelete(seg);
  }

  /** Segment ids still on disk (for tests and status). */
  segmentIds(): number[] {
    return [...this.segments.keys()].sort((a, b) => a - b);
  }

  /**
   * Queues a frame; resolves after the fdatasync covering it. `onDurable` runs first, synchronously
   * and in log order, so whatever it does (buffering) happens in the order entries were logged.
   */
  append(lsn: number, frame: Buffer, onDurable: (segment: number) => void): Promise<void> {
    if (this.closed) return Promise.reject(new DependencyUnavailableError('the delivery log is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ lsn, frame, onDurable, resolve, reject });
      this.bytesQueued += frame.length;
      if (!this.committing) this.committing = this.commitLoop();
    });
  }

  private async commitLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        await this.commitGroup(group);
      }
    } finally {
      this.committing = undefined;
    }
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    let bytes = 0;
    for (const p of group) bytes += p.frame.length;
    this.bytesQueued -= bytes;
    let written: number | undefined;
    try {
      // A failed write that could not be cut back yet is cut first: nothing goes after it.
      if (this.uncut) await this.cutBack();
      const active = await this.activeFor(group[0].lsn);
      written = active.size;
      const { bytesWritten } = await active.fh.writev(group.map((p) => p.frame));
      if (bytesWritten !== bytes)
        throw new Error(`short write to the delivery log (${bytesWritten} of ${bytes} bytes)`);
      await active.fh.datasync();
      active.size += bytes;
      const id = active.seg.id;
      for (const p of group) {
        try {
          p.onDurable(id);
        } catch (err) {
          // Durable regardless: recovery replays it from the log on the next start.
          this.opts.logger.error({ err, lsn: p.lsn }, 'buffering a logged entry failed');
        }
      }
      for (const p of group) p.resolve();
      if (active.size >= this.opts.segmentBytes) await this.seal();
    } catch (cause) {
      this.opts.logger.error({ err: cause }, 'delivery log write failed');
      const err = new DependencyUnavailableError('the delivery log could not be written', 1, { cause });
      for (const p of group) p.reject(err);
      if (written !== undefined) await this.poison(written);
    }
  }

  private async activeFor(firstLsn: number): Promise<{ seg: Segment; fh: LogFile; size: number }> {
    if (this.active) return this.active;
    const seg: Segment = {
      id: firstLsn,
      file: path.join(this.opts.dir, segmentName(firstLsn)),
      pending: 0,
      sealed: false,
    };
    const fh = await this.opts.fs.create(seg.file);
    try {
      // The new file's directory entry must be durable before anything in it is acknowledged.
      await this.opts.fs.syncDir(this.opts.dir);
    } catch (err) {
      await fh.close().catch(() => undefined);
      await fs.unlink(seg.file).catch(() => undefined);
      throw err;
    }
    this.segments.set(seg.id, seg);
    this.active = { seg, fh, size: 0 };
    return this.active;
  }

  /** Opens the segment new entries go to, starting at `firstLsn` (after recovery). */
  async openActive(firstLsn: number): Promise<void> {
    await this.activeFor(firstLsn);
  }

  private async seal(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    active.seg.sealed = true;
    await active.fh
      .close()
      .catch((err: unknown) => this.opts.logger.warn({ err }, 'closing a log segment failed'));
    this.maybeDelete(active.seg);
  }

  /**
   * After a failed write or fsync the file's tail is unknown: it may hold part of the group, or all of
   * it (fdatasync failed after the write). None of it was acknowledged, so it must never be replayed.
   */
  private async poison(size: number): Promise<void> {
    if (!this.active) return;
    this.uncut = { size };
    await this.cutBack().catch((err: unknown) =>
      this.opts.logger.error(
        { err, segment: this.active?.seg.file },
        'could not cut back a failed log write; appends are refused until it can be',
      ),
    );
  }

  /**
   * Cuts the active segment back to what was acknowledged, then moves on to a fresh segment. When the
   * file cannot be truncated, zeroing the first frame header past the cut does as well: recovery reads
   * a zero length as a torn tail and truncates it there. Overwriting allocated bytes needs no free
   * space, so this works on a full disk too. Throws when neither is possible.
   */
  private async cutBack(): Promise<void> {
    const active = this.active;
    const cut = this.uncut;
    if (!active || !cut) return;
    try {
      await active.fh.truncate(cut.size);
      await active.fh.datasync();
    } catch (err) {
      this.opts.logger.warn({ err, segment: active.seg.file }, 'truncating a failed log write failed');
      const zero = Buffer.alloc(FRAME_HEADER_BYTES);
      const { bytesWritten } = await active.fh.write(zero, 0, zero.length, cut.size);
      if (bytesWritten !== zero.length) throw new Error('short write marking a failed log write torn');
      await active.fh.datasync();
    }
    this.uncut = undefined;
    await this.seal();
  }

  private maybeDelete(seg: Segment): void {
    if (!seg.sealed || seg.pending > 0 || !this.segments.has(seg.id)) return;
    this.segments.delete(seg.id);
    const p = this.delete(seg).finally(() => this.deletions.delete(p));
    this.deletions.add(p);
  }

  private async delete(seg: Segment): Promise<void> {
    try {
      await this.opts.beforeDelete?.();
    } catch (err) {
      // Kept: recovery would replay it (its entries are published, so only what they carry matters).
      this.opts.logger.warn({ err, segment: seg.file }, 'keeping a published log segment for now');
      if (this.closed) return;
      this.segments.set(seg.id, seg);
      setTimeout(() => this.maybeDelete(seg), this.opts.deleteRetryMs ?? 1_000).unref();
      return;
    }
    await fs
      .unlink(seg.file)
      .catch((err: unknown) =>
        this.opts.logger.warn({ err, segment: seg.file }, 'deleting a published log segment failed'),
      );
  }

  /** Commits what is already queued, refuses new appends, and closes the active segment. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.committing) await this.committing;
    if (this.uncut) {
      await this.cutBack().catch((err: unknown) =>
        this.opts.logger.error(
          { err },
          'closing with a failed log write not cut back: the next start may replay that unacknowledged entry',
        ),
      );
    }
    if (this.active) {
      const { fh } = this.active;
      this.active = undefined;
      await fh.close().catch(() => undefined);
    }
    await Promise.all([...this.deletions]);
  }
}
