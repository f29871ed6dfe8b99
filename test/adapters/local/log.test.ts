import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../../api/domain/errors.js';
import { encodeEntry } from '../../../api/adapters/local/frame.js';
import {
  nodeLogFs,
  segmentName,
  WriteAheadLog,
  type LogFile,
  type LogFs,
} from '../../../api/adapters/local/log.js';
import { makeBatch, silentLogger, tempDir } from './support.js';
import { FaultyLogFs } from '../../support/faulty-log-fs.js';

/** Wraps the real file system, recording operations and letting a test hold or fail fdatasync. */
class GatedFs implements LogFs {
  readonly ops: string[] = [];
  gate: Promise<void> | undefined;
  failNextSync: Error | undefined;
  async create(file: string): Promise<LogFile> {
    const fh = await nodeLogFs.create(file);
    return {
      writev: async (bufs) => {
        this.ops.push(`writev:${bufs.length}`);
        return fh.writev(bufs);
      },
      datasync: async () => {
        this.ops.push('datasync:start');
        if (this.gate) await this.gate;
        const fail = this.failNextSync;
        this.failNextSync = undefined;
        if (fail) throw fail;
        await fh.datasync();
        this.ops.push('datasync:done');
      },
      truncate: (len) => fh.truncate(len),
      write: (buf, offset, length, position) => fh.write(buf, offset, length, position),
      close: () => fh.close(),
    };
  }
  syncDir(dir: string): Promise<void> {
    return nodeLogFs.syncDir(dir);
  }
}

const frame = (lsn: number) => encodeEntry(lsn, makeBatch()).frame;

describe('WriteAheadLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A log in `dir` over `logFs`, recovered, with segment 1 open for appends. */
  const openLog = async (logFs: LogFs, segmentBytes = 1 << 20) => {
    const wal = new WriteAheadLog({ dir, segmentBytes, fs: logFs, logger: silentLogger });
    await wal.recover();
    await wal.openActive(1);
    return wal;
  };
  /** A log over `logFs` whose lsn 1 is durable but held (not yet published), so segment 1 stays on disk. */
  const openWithHeldFirst = async (logFs: LogFs) => {
    const wal = await openLog(logFs);
    const first = frame(1);
    await wal.append(1, first, (seg) => wal.hold(seg, 1));
    return { wal, first };
  };
  /** What a fresh log over the real file system recovers from `dir`. */
  const recover = () =>
    new WriteAheadLog({ dir, segmentBytes: 1 << 20, fs: nodeLogFs, logger: silentLogger }).recover();
  const recoveredLsns = async () => (await recover()).segments.flatMap((s) => s.entries.map((e) => e.lsn));

  it('group-commits: appends resolve only after the fdatasync covering them, one write and one sync per group', async () => {
    const gfs = new GatedFs();
    const wal = await openLog(gfs);
    let release!: () => void;
    gfs.gate = new Promise((r) => (release = r));
    const order: string[] = [];
    const frames = [1, 2, 3, 4, 5].map(frame);
    const resolved: number[] = [];
    const first = wal.append(1, frames[0], () => order.push('durable:1')).then(() => resolved.push(1));
    await new Promise((r) => setTimeout(r, 20));
    // The first group is stuck in fdatasync; these accumulate into the next group.
    const rest = [2, 3, 4, 5].map((lsn) =>
      wal.append(lsn, frames[lsn - 1], () => order.push(`durable:${lsn}`)).then(() => resolved.push(lsn)),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toEqual([]);
    expect(gfs.ops).toEqual(['writev:1', 'datasync:start']);
    expect(wal.queuedEntries).toBe(4);
    gfs.gate = undefined;
    release();
    await first;
    await Promise.all(rest);
    expect(resolved).toEqual([1, 2, 3, 4, 5]);
    expect(order).toEqual(['durable:1', 'durable:2', 'durable:3', 'durable:4', 'durable:5']);
    expect(gfs.ops).toEqual([
      'writev:1',
      'datasync:start',
      'datasync:done',
      'writev:4',
      'datasync:start',
      'datasync:done',
    ]);
    await wal.close();
    const onDisk = await fs.readFile(path.join(dir, segmentName(1)));
    expect(onDisk.equals(Buffer.concat(frames))).toBe(true);
  });

  it('rejects the waiting group with DependencyUnavailableError (cause kept) and cuts the failed write back', async () => {
    const gfs = new GatedFs();
    const { wal, first: a } = await openWithHeldFirst(gfs);
    const boom = new Error('EIO: disk on fire');
    gfs.failNextSync = boom;
    const durable: number[] = [];
    const err = await wal.append(2, frame(2), () => durable.push(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).cause).toBe(boom);
    expect(durable).toEqual([]);
    // The next append goes to a fresh segment; the failed frame is gone from the old one.
    await wal.append(3, frame(3), () => durable.push(3));
    expect(durable).toEqual([3]);
    await wal.close();
    expect((await fs.readFile(path.join(dir, segmentName(1)))).equals(a)).toBe(true);
    expect(await recoveredLsns()).toEqual([1, 3]);
  });

  it('truncates a torn tail at recovery', async () => {
    const wal = await openLog(nodeLogFs);
    const a = frame(1);
    await wal.append(1, a, () => undefined);
    await wal.close();
    const file = path.join(dir, segmentName(1));
    const torn = frame(2).subarray(0, 50);
    await fs.appendFile(file, torn);
    const { segments, maxLsn } = await recover();
    expect(segments.flatMap((s) => s.entries.map((e) => e.lsn))).toEqual([1]);
    expect(maxLsn).toBe(1);
    expect((await fs.stat(file)).size).toBe(a.length);
  });

  it('rotates segments and deletes a sealed one once all its parts are released', async () => {
    const wal = await openLog(nodeLogFs, 1);
    const segs: number[] = [];
    for (const lsn of [1, 2, 3]) {
      await wal.append(lsn, frame(lsn), (s) => {
        segs.push(s);
        wal.hold(s, 1);
      });
    }
    expect(segs).toEqual([1, 2, 3]);
    expect(await fs.readdir(dir)).toEqual([segmentName(1), segmentName(2), segmentName(3)]);
    wal.release(2, 1);
    await wal.close();
    expect(await fs.readdir(dir)).toEqual([segmentName(1), segmentName(3)]);
  });

  it('deletes a published segment only once beforeDelete resolves, keeping it while that fails', async () => {
    let failing = 2;
    let asked = 0;
    const wal = new WriteAheadLog({
      dir,
      segmentBytes: 1,
      fs: nodeLogFs,
      logger: silentLogger,
      deleteRetryMs: 10,
      beforeDelete: () => {
        asked++;
        return failing-- > 0 ? Promise.reject(new Error('journal not synced')) : Promise.resolve();
      },
    });
    await wal.recover();
    await wal.openActive(1);
    for (const lsn of [1, 2]) await wal.append(lsn, frame(lsn), (s) => wal.hold(s, 1));
    wal.release(1, 1);
    await new Promise((r) => setTimeout(r, 5));
    // Refused once: the segment stays until a retry gets through.
    expect(await fs.readdir(dir)).toEqual([segmentName(1), segmentName(2)]);
    for (let i = 0; i < 100 && (await fs.readdir(dir)).includes(segmentName(1)); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await fs.readdir(dir)).toEqual([segmentName(2)]);
    expect(asked).toBe(3);
    await wal.close();
  });

  it('marks a failed write torn when it cannot be truncated, so recovery never replays it', async () => {
    const faults = new FaultyLogFs();
    const { wal, first: a } = await openWithHeldFirst(faults);
    // fdatasync fails after the whole frame reached the file, and truncating it fails too.
    faults.sync = 'EIO';
    faults.cut = 'EIO';
    const err = await wal.append(2, frame(2), () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    faults.clear();
    await wal.append(3, frame(3), () => undefined);
    await wal.close();
    expect(faults.raised).toEqual(['fdatasync:EIO', 'ftruncate:EIO']);
    // The failed frame is still in segment 1, behind a zeroed header.
    expect((await fs.stat(path.join(dir, segmentName(1)))).size).toBeGreaterThan(a.length);
    expect(await recoveredLsns()).toEqual([1, 3]);
    expect((await fs.stat(path.join(dir, segmentName(1)))).size).toBe(a.length);
  });

  it('refuses appends while a failed write can be neither cut nor marked, and resumes once it can', async () => {
    const faults = new FaultyLogFs();
    const { wal, first: a } = await openWithHeldFirst(faults);
    faults.append = 'ENOSPC';
    faults.cut = 'EIO';
    faults.mark = 'EIO';
    const durable: number[] = [];
    const fail = (lsn: number) =>
      wal.append(lsn, frame(lsn), () => durable.push(lsn)).catch((e: unknown) => e);
    expect(await fail(2)).toBeInstanceOf(DependencyUnavailableError);
    faults.append = undefined;
    // The disk takes writes again but the failed one is still there: nothing may follow it.
    expect(await fail(3)).toBeInstanceOf(DependencyUnavailableError);
    expect(durable).toEqual([]);
    faults.clear();
    await wal.append(4, frame(4), () => durable.push(4));
    expect(durable).toEqual([4]);
    await wal.close();
    expect((await fs.readFile(path.join(dir, segmentName(1)))).equals(a)).toBe(true);
    expect(await recoveredLsns()).toEqual([1, 4]);
  });
});
