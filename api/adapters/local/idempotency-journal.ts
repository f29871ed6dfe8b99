import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { DependencyUnavailableError } from '../../domain/errors.js';
import { scanFrames } from './frame.js';
import { syncDir } from './log.js';

/** The file operations the journal needs; injectable so tests can fail them. */
export interface JournalFile {
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export interface JournalFs {
  /** Opens `file` for appending, creating it when missing. */
  openAppend(file: string): Promise<JournalFile>;
  /** Creates `file` empty, replacing what was there (the compaction's temporary file). */
  create(file: string): Promise<JournalFile>;
  rename(from: string, to: string): Promise<void>;
  syncDir(dir: string): Promise<void>;
}

export const nodeJournalFs: JournalFs = {
  openAppend: (file) => fs.open(file, 'a'),
  create: (file) => fs.open(file, 'w'),
  rename: (from, to) => fs.rename(from, to),
  syncDir,
};

export interface JournalOptions {
  dir: string;
  fs: JournalFs;
  logger: Logger;
  now: () => number;
  /** The live state as frames, read when the journal is rewritten (compaction, or after a failed write). */
  snapshot: () => Iterable<Buffer>;
  /** Bytes the live state takes as frames: the journal is compacted once it is `compactRatio` times that. */
  liveBytes: () => number;
  compactRatio: number;
  /** No compaction below this size: rewriting a small file buys nothing. */
  compactMinBytes: number;
  /**
   * How long frames nobody waits for may sit in memory before they are written (default 20 ms), so
   * that a busy server writes the journal a few dozen times a second rather than once per request.
   */
  lingerMs?: number;
}

interface Queued {
  frame: Buffer;
  /** Set for frames whose caller waits until fdatasync covers them. */
  waiter?: { resolve: () => void; reject: (err: Error) => void };
}

const FILE = 'journal.log';
/** What a sync queues: nothing to write, only a waiter for the group's fdatasync. */
const EMPTY = Buffer.alloc(0);
const READ_CHUNK = 1024 * 1024;
/** Frames per write while rewriting: keeps the event loop turning between writes. */
const REWRITE_BATCH = 2048;
/** After a failed rewrite, the next attempt waits this long; durable appends are refused meanwhile. */
const REWRITE_RETRY_MS = 1_000;
const LINGER_MS = 20;
/** Frames queued past this many bytes are written without waiting out the linger. */
const LINGER_BYTES = 256 * 1024;

/**
 * The idempotency store's append-only journal: frames (frame.ts) written with group commit, as the
 * delivery log does. Frames queued while one write is in flight go out in the next single writev;
 * the group is fdatasynced only when one of its frames is waited for (a claim), so results and
 * releases ride along with the next claim's fdatasync, or stay in the page cache, which a killed
 * process does not lose. Frames nobody waits for linger in memory up to `lingerMs` first: each write
 * wakes a thread-pool thread, which on a busy server costs more than the bytes. A process killed
 * meanwhile loses them, as a power loss loses unsynced ones, and the store is built to survive that
 * (its claims are restored from the delivery log; see LocalIdempotencyStore).
 *
 * The file is never repaired in place. A failed write or fdatasync leaves its tail unknown, so the
 * next group rewrites the whole journal from the live state instead (temporary file, fdatasync,
 * rename, directory fsync), which is also how it is compacted once dead frames dominate.
 */
export class IdempotencyJournal {
  private file: JournalFile | undefined;
  private bytes = 0;
  private queue: Queued[] = [];
  /** Bytes of the frames in `queue`. */
  private queuedBytes = 0;
  /** Queued frames are waiting for someone to wait on them, a full linger, or this timer. */
  private lingering: NodeJS.Timeout | undefined;
  private committing: Promise<void> | undefined;
  private rewriteWanted = false;
  /** Set after a failed write or rewrite: nothing more is appended until a rewrite succeeds. */
  private broken: { at: number; cause: unknown } | undefined;
  private closed = false;
  /** Written since the last fdatasync: synced at close, so a clean shutdown keeps every result. */
  private unsynced = false;

  constructor(private readonly opts: JournalOptions) {}

  get path(): string {
    return path.join(this.opts.dir, FILE);
  }

  /** Current size of the journal file. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * Hands every intact frame's payload to `apply`, in order, and cuts a torn tail off (a frame being
   * appended when the process died, which nobody was told was durable). Start-up only.
   */
  async replay(apply: (payload: Buffer) => boolean): Promise<{ tornBytes: number }> {
    await fs.mkdir(this.opts.dir, { recursive: true });
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.path, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tornBytes: 0 };
      throw err;
    }
    try {
      const size = (await fh.stat()).size;
      let valid = 0;
      let carry = Buffer.alloc(0);
      for (let pos = 0; pos < size;) {
        const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - pos));
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk;
        const { validBytes, stop } = scanFrames(buf.subarray(0, carry.length + bytesRead), apply);
        valid += validBytes;
        if (stop === 'bad') break;
        carry = Buffer.from(buf.subarray(validBytes, carry.length + bytesRead));
      }
      if (valid < size) {
        this.opts.logger.warn({ droppedBytes: size - valid }, 'truncating torn idempotency journal tail');
        await fh.truncate(valid);
        await fh.sync();
      }
      this.bytes = valid;
      return { tornBytes: size - valid };
    } finally {
      await fh.close();
    }
  }

  /** Opens the file for appending (after replay), compacting it first when that is due. */
  async open(): Promise<void> {
    if (this.compactionDue()) {
      // Compacting is an optimisation: a start on a full disk still serves from the file as it is.
      await this.rewrite().catch((err: unknown) =>
        this.opts.logger.warn({ err }, 'compacting the idempotency journal at start failed'),
      );
    }
    this.file ??= await this.opts.fs.openAppend(this.path);
  }

  /** Queues a frame and resolves once an fdatasync covers it. */
  appendDurable(frame: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<void>((resolve, reject) => {
      this.push({ frame, waiter: { resolve, reject } });
      this.kick();
    });
  }

  /**
   * Resolves once every frame queued or written so far is on disk: an fdatasync, or a rewrite when a
   * write failed. The delivery log asks for it before deleting a segment whose entries carry claims.
   */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (!this.unsynced && !this.broken && !this.committing && this.queue.length === 0)
      return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.push({ frame: EMPTY, waiter: { resolve, reject } });
      this.kick();
    });
  }

  /** Queues a frame for a coming group without waiting for it (it may linger; see the class). */
  append(frame: Buffer): void {
    if (this.closed) return;
    this.push({ frame });
    if (this.queuedBytes >= LINGER_BYTES) this.kick();
    else this.linger();
  }

  /** Asks for a compaction with the next group (after expired records were dropped, say). */
  compactIfDue(): void {
    if (!this.compactionDue()) return;
    this.rewriteWanted = true;
    this.kick();
  }

  /** Writes and fdatasyncs whatever is queued, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queue.length > 0) this.kick();
    while (this.committing) await this.committing;
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    if (this.unsynced && !this.broken) {
      await file
        .datasync()
        .catch((err: unknown) =>
          this.opts.logger.warn({ err }, 'syncing the idempotency journal at close failed'),
        );
    }
    await file.close().catch(() => undefined);
  }

  private compactionDue(): boolean {
    return (
      this.bytes > this.opts.compactMinBytes && this.bytes > this.opts.compactRatio * this.opts.liveBytes()
    );
  }

  private push(q: Queued): void {
    this.queue.push(q);
    this.queuedBytes += q.frame.length;
  }

  /** Writes the queue now (or right after the write in flight). */
  private kick(): void {
    if (this.lingering) clearTimeout(this.lingering);
    this.lingering = undefined;
    if (!this.committing) this.committing = this.commitLoop();
  }

  /** Writes the queue once the linger is over, unless something writes it sooner. */
  private linger(): void {
    if (this.lingering || this.committing) return;
    this.lingering = setTimeout(() => {
      this.lingering = undefined;
      this.kick();
    }, this.opts.lingerMs ?? LINGER_MS);
    // close() writes what is queued: a pending linger must not keep the process alive.
    this.lingering.unref();
  }

  private async commitLoop(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.rewriteWanted) {
        const group = this.queue;
        this.queue = [];
        this.queuedBytes = 0;
        await this.commitGroup(group);
        // What queued up meanwhile goes now if someone waits for it (or close() does); else it lingers.
        if (this.closed || this.rewriteWanted || this.queuedBytes >= LINGER_BYTES) continue;
        if (!this.queue.some((q) => q.waiter)) break;
      }
    } finally {
      this.committing = undefined;
    }
    if (this.queue.length > 0 && !this.closed) this.linger();
  }

  private async commitGroup(group: Queued[]): Promise<void> {
    if (this.broken || this.rewriteWanted) {
      // The rewrite holds the live state, which already includes every change this group logs.
      const err = await this.tryRewrite();
      for (const q of group) {
        if (err) q.waiter?.reject(err);
        else q.waiter?.resolve();
      }
      return;
    }
    try {
      const file = this.file ?? (await this.opts.fs.openAppend(this.path));
      this.file = file;
      const frames = group.map((q) => q.frame);
      let bytes = 0;
      for (const f of frames) bytes += f.length;
      const { bytesWritten } = await file.writev(frames);
      if (bytesWritten !== bytes)
        throw new Error(`short write to the idempotency journal (${bytesWritten} of ${bytes} bytes)`);
      if (group.some((q) => q.waiter)) {
        await file.datasync();
        this.unsynced = false;
      } else {
        this.unsynced = true;
      }
      this.bytes += bytes;
      for (const q of group) q.waiter?.resolve();
      if (this.compactionDue()) this.rewriteWanted = true;
    } catch (cause) {
      this.opts.logger.error({ err: cause }, 'idempotency journal write failed; it will be rewritten');
      this.broken = { at: this.opts.now(), cause };
      const err = unavailable(cause);
      for (const q of group) q.waiter?.reject(err);
    }
  }

  /** Rewrites the journal, or explains why it could not (throttled after a recent failure). */
  private async tryRewrite(): Promise<Error | undefined> {
    const broken = this.broken;
    if (broken && this.opts.now() - broken.at < REWRITE_RETRY_MS) return unavailable(broken.cause);
    try {
      await this.rewrite();
      if (broken) this.opts.logger.warn('idempotency journal rewritten after a failed write');
      return undefined;
    } catch (cause) {
      this.opts.logger.error({ err: cause }, 'rewriting the idempotency journal failed');
      this.broken = { at: this.opts.now(), cause };
      return unavailable(cause);
    }
  }

  /** The live state into a temporary file, fdatasync, rename over the journal, directory fsync. */
  private async rewrite(): Promise<void> {
    const { fs: jfs, dir } = this.opts;
    this.rewriteWanted = false;
    const tmp = `${this.path}.tmp`;
    const out = await jfs.create(tmp);
    let bytes = 0;
    try {
      let batch: Buffer[] = [];
      const flush = async () => {
        let n = 0;
        for (const f of batch) n += f.length;
        const { bytesWritten } = await out.writev(batch);
        if (bytesWritten !== n) throw new Error(`short write rewriting the idempotency journal`);
        bytes += n;
        batch = [];
      };
      for (const frame of this.opts.snapshot()) {
        batch.push(frame);
        if (batch.length >= REWRITE_BATCH) await flush();
      }
      if (batch.length) await flush();
      await out.datasync();
    } finally {
      await out.close();
    }
    await jfs.rename(tmp, this.path);
    await jfs.syncDir(dir);
    const before = this.bytes;
    const old = this.file;
    this.file = undefined;
    this.bytes = bytes;
    this.broken = undefined;
    this.unsynced = false;
    await old?.close().catch(() => undefined);
    this.file = await jfs.openAppend(this.path);
    this.opts.logger.info({ before, after: bytes }, 'idempotency journal compacted');
  }
}

function unavailable(cause: unknown): Error {
  return new DependencyUnavailableError('the idempotency journal could not be written', 1, { cause });
}

function closedError(): Error {
  return new DependencyUnavailableError('the idempotency journal is closed', 1);
}
