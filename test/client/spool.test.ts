import { spawnSync } from 'node:child_process';
import { appendFile, cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpoolFullError } from '../../client/index.js';
import { Spool } from '../../client/spool.js';
import { encodeFrame, type SpoolEntry } from '../../client/spool-frame.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

const dirs: string[] = [];
const spools: Spool[] = [];
afterEach(async () => {
  for (const s of spools.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await removeDir(d);
});

async function freshDir(): Promise<string> {
  const d = await tempDir('tributary-spool-');
  dirs.push(d);
  return join(d, 'spool');
}

async function open(dir: string, o: { maxBytes?: number; segmentBytes?: number } = {}): Promise<Spool> {
  const s = await Spool.open({ dir, maxBytes: o.maxBytes ?? 2 ** 30, segmentBytes: o.segmentBytes });
  spools.push(s);
  return s;
}

/**
 * What a crash would leave: a copy of the directory as it is now (every append was fdatasynced before it
 * resolved), its lock held by a process that is gone. The original is closed and dropped.
 */
async function crash(dir: string, s: Spool): Promise<string> {
  const copy = `${dir}-after-crash`;
  await cp(dir, copy, { recursive: true });
  await writeFile(join(copy, 'lock'), String(deadPid()));
  spools.splice(spools.indexOf(s), 1);
  await s.close();
  return copy;
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

const entry = (n: number, bytes = 100): SpoolEntry => ({
  tenant: 'acme',
  stream: 'events',
  idempotencyKey: `p.run.${n}`,
  contentType: 'application/x-ndjson',
  gzip: false,
  body: Buffer.from(`${JSON.stringify({ id: `r${n}`, pad: 'x'.repeat(bytes) })}\n`),
  records: 1,
  spooledAt: '2026-01-01T00:00:00.000Z',
});

/** Reads and consumes everything the spool holds, returning the keys in order. */
async function drain(s: Spool): Promise<string[]> {
  const keys: string[] = [];
  for (let item = await s.next(); item; item = await s.next()) {
    keys.push(item.entry.idempotencyKey);
    await s.consume(item);
  }
  return keys;
}

describe('Spool', () => {
  it('gives back what was appended, in order, across segment files, body and key intact', async () => {
    const dir = await freshDir();
    const s = await open(dir, { segmentBytes: 1000 });
    for (let i = 0; i < 30; i++) await s.append(entry(i));
    expect((await readdir(dir)).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(3);
    const first = await s.next();
    expect(first!.entry).toEqual(entry(0));
    expect(await drain(s)).toEqual(Array.from({ length: 30 }, (_, i) => `p.run.${i}`));
    expect(s.empty).toBe(true);
  });

  it('after a crash, replays from the last consumed entry, and deletes finished segments', async () => {
    const dir = await freshDir();
    const s = await open(dir, { segmentBytes: 1000 });
    for (let i = 0; i < 20; i++) await s.append(entry(i));
    const segments = async () => (await readdir(dir)).filter((f) => f.endsWith('.seg')).length;
    const before = await segments();
    for (let i = 0; i < 12; i++) await s.consume((await s.next())!);
    expect(await segments()).toBeLessThan(before);
    const after = await crash(dir, s);

    const again = await open(after, { segmentBytes: 1000 });
    expect(await drain(again)).toEqual(Array.from({ length: 8 }, (_, i) => `p.run.${12 + i}`));
    // close() of an empty spool leaves the directory empty.
    await again.close();
    expect(await readdir(after)).toEqual([]);
  });

  it('cuts off a torn frame at the tail and keeps everything before it', async () => {
    const dir = await freshDir();
    const s = await open(dir);
    for (let i = 0; i < 3; i++) await s.append(entry(i));
    const after = await crash(dir, s);
    const [segment] = (await readdir(after)).filter((f) => f.endsWith('.seg'));
    const file = join(after, segment);
    const whole = (await stat(file)).size;
    // Half of a fourth frame, as a crash during its write would leave it.
    await appendFile(file, encodeFrame(entry(3)).subarray(0, 60));

    const again = await open(after);
    expect((await stat(file)).size).toBe(whole);
    await again.append(entry(4));
    expect(await drain(again)).toEqual(['p.run.0', 'p.run.1', 'p.run.2', 'p.run.4']);
  });

  it('stops at a frame whose checksum fails (a torn write that left the length whole)', async () => {
    const dir = await freshDir();
    const s = await open(dir);
    for (let i = 0; i < 2; i++) await s.append(entry(i));
    const after = await crash(dir, s);
    const [segment] = (await readdir(after)).filter((f) => f.endsWith('.seg'));
    const bytes = await readFile(join(after, segment));
    bytes[bytes.byteLength - 5] ^= 0xff;
    await writeFile(join(after, segment), bytes);
    expect(await drain(await open(after))).toEqual(['p.run.0']);
  });

  it('refuses a batch past maxSpoolBytes with SpoolFullError naming the limit and the directory', async () => {
    const dir = await freshDir();
    const frame = encodeFrame(entry(0)).byteLength;
    const s = await open(dir, { maxBytes: frame * 3 });
    for (let i = 0; i < 3; i++) await s.append(entry(i));
    const err = await s.append(entry(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpoolFullError);
    expect(err).toMatchObject({ dir, limitBytes: frame * 3, usedBytes: frame * 3 });
    expect((err as Error).message).toContain(`maxSpoolBytes (${frame * 3})`);
    expect((err as Error).message).toContain(dir);
    // Replay frees room.
    await s.consume((await s.next())!);
    await s.append(entry(3));
    expect(await drain(s)).toEqual(['p.run.1', 'p.run.2', 'p.run.3']);
  });

  it('refuses a directory a live producer holds, and takes over the lock of a dead one', async () => {
    const dir = await freshDir();
    await open(dir);
    await expect(Spool.open({ dir, maxBytes: 1000 })).rejects.toThrow(/in use by process \d+ \(this one\)/);
    await spools[0].close();
    await writeFile(join(dir, 'lock'), String(deadPid()));
    const s = await open(dir);
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe(String(process.pid));
    expect(s.empty).toBe(true);
  });

  it('wakes a reader waiting for data when a batch is appended', async () => {
    const dir = await freshDir();
    const s = await open(dir);
    const stop = new AbortController();
    const waiting = s.waitForData(stop.signal).then(() => s.next());
    await s.append(entry(7));
    expect((await waiting)!.entry.idempotencyKey).toBe('p.run.7');
  });
});
