import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { ColumnTypes } from '../input/csv-values.js';
import type { Format } from '../input/items.js';

/*
 * A push's resume point, in a file next to its input. Batches are cut deterministically from any batch
 * boundary and each one's Idempotency-Key is derived from the run id and its byte range, so a resumed
 * push re-sends exactly the batches the server may have seen, with the keys it saw them under, and the
 * server answers those from its idempotency record instead of storing them again.
 */

export const CHECKPOINT_VERSION = 1;

export interface Totals {
  /** Records sent (and answered). */
  records: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Records that could not be read (malformed JSON, a bad CSV row): written to the rejects file, not sent. */
  invalid: number;
  batches: number;
}

export interface InFlight {
  start: number;
  end: number;
  records: number;
  idempotencyKey: string;
}

export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  input: { file: string; size: number; mtimeMs: number };
  target: { url: string; tenant: string; stream: string };
  format: Format;
  batch: { records: number; bytes: number };
  runId: string;
  /** Every batch before this offset of the (decompressed) input is acknowledged and its rejects written. */
  offset: number;
  /** Newlines before `offset`, so line numbers stay right after a resume. */
  line: number;
  csv?: { columns: string[]; types?: ColumnTypes };
  /** Length of the rejects file at `offset`: a resume cuts it back to this, so no reject is written twice. */
  rejectsBytes: number;
  totals: Totals;
  /** Batches cut past `offset`, sent or about to be: a resume sends them again under these keys. */
  inFlight: InFlight[];
  savedAt: string;
}

export function newRunId(): string {
  return randomBytes(8).toString('hex');
}

/** The Idempotency-Key of the batch covering [start, end) of a run: the same on every resume. */
export function batchKey(runId: string, start: number, end: number): string {
  return `trb-${runId}-${start}-${end}`;
}

export function checkpointPathFor(file: string): string {
  return `${file}.checkpoint.json`;
}

const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function check(cp: Partial<Checkpoint>): string | undefined {
  if (cp.version !== CHECKPOINT_VERSION) return `version ${String(cp.version)} is not ${CHECKPOINT_VERSION}`;
  if (typeof cp.runId !== 'string' || !/^[0-9a-f]{16}$/.test(cp.runId)) return 'runId is missing';
  if (!isCount(cp.offset) || !isCount(cp.line) || !isCount(cp.rejectsBytes)) return 'offsets are missing';
  if (!cp.input || !cp.target || !cp.batch || !cp.totals || !Array.isArray(cp.inFlight))
    return 'fields are missing';
  return undefined;
}

/** Reads and writes one checkpoint file; each write replaces it whole (temp file, fsync, rename). */
export class CheckpointFile {
  private writing: Promise<void> = Promise.resolve();
  private latest: Checkpoint | undefined;
  private queued = false;
  private lastWriteAt = -Infinity;

  /**
   * `minGapMs`: a write starts at least this long after the one before; the states saved meanwhile
   * collapse into the newest. A push saves after every batch, and back-to-back writes (two fsyncs
   * and a rename each) cost it an eighth of its CPU; a gap only makes a resume send a few more
   * batches again, which the server answers from its idempotency store.
   */
  constructor(
    readonly path: string,
    private readonly minGapMs = 0,
  ) {}

  async read(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let cp: Partial<Checkpoint>;
    try {
      cp = JSON.parse(text) as Partial<Checkpoint>;
    } catch {
      cp = {};
    }
    const problem = check(cp);
    if (problem)
      throw new CliError(
        `checkpoint ${this.path} is unreadable (${problem}); delete it to start the push over`,
      );
    return cp as Checkpoint;
  }

  /**
   * Schedules a write of `cp`. Writes never overlap; states saved while one runs collapse into the
   * newest, so a fast push costs one write at a time. Resolves once `cp` (or a newer state) is on disk.
   */
  save(cp: Checkpoint): Promise<void> {
    this.latest = cp;
    if (!this.queued) {
      this.queued = true;
      this.writing = this.writing.then(async () => {
        const wait = this.lastWriteAt + this.minGapMs - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.queued = false;
        this.lastWriteAt = Date.now();
        await this.write(this.latest!);
      });
    }
    return this.writing;
  }

  private async write(cp: Checkpoint): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(`${JSON.stringify(cp, null, 1)}\n`);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    // The rename itself survives a power cut only once the directory is synced.
    const dir = await open(path.dirname(this.path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Waits for pending writes, then deletes the file (a finished push leaves none). */
  async remove(): Promise<void> {
    await this.writing;
    await rm(this.path, { force: true });
    await rm(`${this.path}.tmp`, { force: true });
  }

  /** Waits for pending writes. */
  async flush(): Promise<void> {
    await this.writing;
  }
}
