import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  truncate,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolFullError } from './errors.js';
import {
  FRAME_HEADER_BYTES,
  decodePayload,
  encodeFrame,
  payloadLength,
  scanFrames,
  type SpoolEntry,
} from './spool-frame.js';

export interface SpoolOptions {
  dir: string;
  /** Bytes of unreplayed frames the spool may hold. */
  maxBytes: number;
  /** A new segment file is started once the current one reaches this size. */
  segmentBytes?: number;
}

/** An entry read from the spool, with where the next one starts (what `consume` records). */
export interface SpooledItem {
  entry: SpoolEntry;
  segment: number;
  next: number;
}

interface Segment {
  id: number;
  /** Just past the last valid frame. */
  end: number;
}

interface Cursor {
  segment: number;
  offset: number;
}

const SEGMENT = /^(\d{12})\.seg$/;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const segmentName = (id: number) => `${String(id).padStart(12, '0')}.seg`;

/**
 * "Write locally, sync later": batches the API could not take, on disk until it can.
 *
 * Append-only segment files of checksummed frames (spool-frame.ts), each append written and fdatasynced
 * before it resolves. A `cursor` file (replaced atomically) records how far replay has got; segments
 * behind it are deleted. A crash can leave a torn frame only at the tail of the segment being written:
 * opening the spool cuts it off and always starts a new segment. A `lock` file holding the pid keeps two
 * live producers from sharing the directory; a dead holder's lock (after a crash) is taken over.
 */
export class Spool {
  private readonly segmentBytes: number;
  private active?: { id: number; fh: FileHandle };
  private reader?: { id: number; fh: FileHandle };
  private appends: Promise<void> = Promise.resolve();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly segments: Segment[],
    private cursor: Cursor,
    segmentBytes: number | undefined,
  ) {
    this.segmentBytes = segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  }

  static async open(o: SpoolOptions): Promise<Spool> {
    await mkdir(o.dir, { recursive: true });
    await takeLock(o.dir);
    const cursor = await readCursor(o.dir);
    const ids = (await readdir(o.dir))
      .map((f) => SEGMENT.exec(f)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const segments: Segment[] = [];
    for (const id of ids) {
      const file = join(o.dir, segmentName(id));
      if (id < cursor.segment) {
        await rm(file, { force: true });
        continue;
      }
      const bytes = await readFile(file);
      const from = id === cursor.segment ? Math.min(cursor.offset, bytes.byteLength) : 0;
      const { end } = scanFrames(bytes, from);
      // A torn tail (a crash mid-append) is cut off; nothing after it was ever acknowledged as spooled.
      if (end < bytes.byteLength) await truncate(file, end);
      segments.push({ id, end });
    }
    const start = segments.find((s) => s.id >= cursor.segment);
    const at: Cursor =
      start && start.id === cursor.segment
        ? { segment: start.id, offset: Math.min(cursor.offset, start.end) }
        : { segment: start?.id ?? cursor.segment, offset: 0 };
    return new Spool(o.dir, o.maxBytes, segments, at, o.segmentBytes);
  }

  /** Bytes of frames not yet replayed. */
  get bytes(): number {
    let total = 0;
    for (const s of this.segments) {
      if (s.id > this.cursor.segment) total += s.end;
      else if (s.id === this.cursor.segment) total += s.end - this.cursor.offset;
    }
    return total;
  }

  get empty(): boolean {
    return this.bytes === 0;
  }

  /** Appends a batch durably (written and fdatasynced). Appends run one at a time, in call order. */
  append(entry: SpoolEntry): Promise<void> {
    const run = this.appends.then(() => this.write(encodeFrame(entry)));
    this.appends = run.catch(() => undefined);
    return run;
  }

  private async write(frame: Buffer): Promise<void> {
    if (this.closed) throw new Error(`the spool in ${this.dir} is closed`);
    const used = this.bytes;
    if (used + frame.byteLength > this.maxBytes)
      throw new SpoolFullError(this.dir, this.maxBytes, used, frame.byteLength);
    let seg = this.segments.at(-1);
    if (!this.active || !seg || seg.id !== this.active.id || seg.end >= this.segmentBytes) {
      seg = await this.startSegment();
    }
    const fh = this.active!.fh;
    try {
      await fh.write(frame, 0, frame.byteLength, seg.end);
      await fh.datasync();
    } catch (err) {
      // Whatever part landed is past `end`: the next append overwrites it, a reopen cuts it off.
      await fh.truncate(seg.end).catch(() => undefined);
      throw err;
    }
    seg.end += frame.byteLength;
    for (const wake of this.waiters) wake();
  }

  private async startSegment(): Promise<Segment> {
    const id = Math.max(this.cursor.segment, this.segments.at(-1)?.id ?? 0) + 1;
    const fh = await open(join(this.dir, segmentName(id)), 'wx');
    await this.active?.fh.close();
    this.active = { id, fh };
    await syncDir(this.dir);
    const seg = { id, end: 0 };
    this.segments.push(seg);
    return seg;
  }

  /** The oldest entry not yet replayed, or undefined when there is none. */
  async next(): Promise<SpooledItem | undefined> {
    await this.skipFinishedSegments();
    const seg = this.segments.find((s) => s.id === this.cursor.segment);
    if (!seg || this.cursor.offset >= seg.end) return undefined;
    if (this.reader?.id !== seg.id) {
      await this.reader?.fh.close();
      this.reader = { id: seg.id, fh: await open(join(this.dir, segmentName(seg.id)), 'r') };
    }
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    await this.reader.fh.read(header, 0, FRAME_HEADER_BYTES, this.cursor.offset);
    const payload = Buffer.alloc(payloadLength(header));
    await this.reader.fh.read(payload, 0, payload.byteLength, this.cursor.offset + FRAME_HEADER_BYTES);
    const entry = decodePayload(header, payload);
    if (!entry) {
      // Scanned (or written) valid, unreadable now: the disk changed under us. Say so rather than skip data.
      throw new Error(
        `spool segment ${segmentName(seg.id)} in ${this.dir} is damaged at byte ${this.cursor.offset}`,
      );
    }
    return { entry, segment: seg.id, next: this.cursor.offset + FRAME_HEADER_BYTES + payload.byteLength };
  }

  /** Records that `item` was delivered (or given up): replay never sends it again. */
  async consume(item: SpooledItem): Promise<void> {
    this.cursor = { segment: item.segment, offset: item.next };
    await this.skipFinishedSegments();
    await writeCursor(this.dir, this.cursor);
  }

  /** Resolves when an append lands, or at once when something is already waiting. */
  async waitForData(signal: AbortSignal): Promise<void> {
    if (!this.empty || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Moves the cursor past segments read to the end that are no longer written, deleting them. */
  private async skipFinishedSegments(): Promise<void> {
    if (!this.segments.some((s) => s.id === this.cursor.segment)) {
      // The cursor names a segment not written yet (or gone): replay starts at the next one there is.
      const following = this.segments.find((s) => s.id > this.cursor.segment);
      if (following) this.cursor = { segment: following.id, offset: 0 };
    }
    for (;;) {
      const i = this.segments.findIndex((s) => s.id === this.cursor.segment);
      const seg = this.segments[i];
      const following = this.segments[i + 1];
      if (!seg || !following || this.cursor.offset < seg.end || seg.id === this.active?.id) return;
      if (this.reader?.id === seg.id) {
        await this.reader.fh.close();
        this.reader = undefined;
      }
      this.segments.splice(i, 1);
      this.cursor = { segment: following.id, offset: 0 };
      await writeCursor(this.dir, this.cursor);
      await rm(join(this.dir, segmentName(seg.id)), { force: true });
    }
  }

  /** Closes the files and the lock; an empty spool leaves an empty directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.appends;
    this.closed = true;
    await this.active?.fh.close();
    await this.reader?.fh.close();
    this.active = this.reader = undefined;
    if (this.empty) {
      for (const s of this.segments) await rm(join(this.dir, segmentName(s.id)), { force: true });
      await rm(join(this.dir, 'cursor'), { force: true });
    }
    await rm(join(this.dir, 'lock'), { force: true });
    for (const wake of this.waiters) wake();
  }
}

async function readCursor(dir: string): Promise<Cursor> {
  try {
    const c = JSON.parse(await readFile(join(dir, 'cursor'), 'utf8')) as Partial<Cursor>;
    if (Number.isInteger(c.segment) && Number.isInteger(c.offset))
      return { segment: c.segment!, offset: c.offset! };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  return { segment: 0, offset: 0 };
}

/** Replaces the cursor atomically: a crash leaves the old one or the new one, never half of either. */
async function writeCursor(dir: string, cursor: Cursor): Promise<void> {
  const tmp = join(dir, 'cursor.tmp');
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(cursor));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, 'cursor'));
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** One live producer per directory. A lock whose process is gone (it crashed) is taken over. */
async function takeLock(dir: string): Promise<void> {
  const file = join(dir, 'lock');
  try {
    await writeFile(file, String(process.pid), { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
    throw new Error(
      `the spool in ${dir} is in use by process ${holder}${holder === process.pid ? ' (this one)' : ''}; ` +
        'give each producer its own spoolDir',
    );
  }
  await writeFile(file, String(process.pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
