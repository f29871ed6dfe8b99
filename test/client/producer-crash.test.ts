import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../bench/server-process.js';
import { exactlyOnce, readLayer, startSdkServer, waitLoaded, type SdkServer } from '../support/sdk-server.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

const CHILD = fileURLToPath(new URL('./producer-child.ts', import.meta.url));

interface Line {
  event: string;
  [k: string]: unknown;
}

interface Child {
  proc: ChildProcess;
  lines: Line[];
  /** Resolves with the first line naming `event`. */
  next(event: string): Promise<Line>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

let f: SdkServer;
let work = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  f = await startSdkServer('tributary-sdk-kill-');
  work = await tempDir('tributary-sdk-kill-spool-');
}, 90_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await f?.server.stop('SIGKILL');
  if (f) await removeDir(f.dataDir);
  if (work) await removeDir(work);
});

function startChild(env: Record<string, string>): Child {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')) clean[k] = v;
  }
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO_ROOT,
    env: { ...clean, NODE_NO_WARNINGS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const lines: Line[] = [];
  const waiting: { event: string; resolve: (l: Line) => void }[] = [];
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  createInterface({ input: proc.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    lines.push(line);
    for (const w of waiting.filter((x) => x.event === line.event)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    lines,
    next: (event) =>
      new Promise((resolve, reject) => {
        waiting.push({ event, resolve });
        void exited.then((x) =>
          reject(new Error(`child exited (${JSON.stringify(x)}) before '${event}'; stderr:\n${err}`)),
        );
      }),
    exited,
    stderr: () => err,
  };
}

describe('a producer process killed with SIGKILL while its spool is full', () => {
  it('delivers the spool on the next start, exactly once, even when killed again mid-replay', async () => {
    const spool = join(work, 'spool');
    const base = { CHILD_URL: f.server.url, CHILD_KEY: f.producerKey, CHILD_SPOOL: spool };
    const batchIds = new Set<string>();
    const collect = (c: Child) => {
      for (const l of c.lines) if (l.event === 'acked') batchIds.add(String(l.batchId));
    };

    // 1. The API is down: 3,000 records go to the spool; then the producer is killed.
    await f.server.stop('SIGKILL');
    const first = startChild({ ...base, CHILD_MODE: 'spool', CHILD_FROM: '0', CHILD_COUNT: '3000' });
    const flushed = await first.next('flushed');
    expect(flushed.counts).toMatchObject({ queued: 3000, spooled: 3000, acked: 0, failed: 0 });
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect((await readdir(spool)).filter((n) => n.endsWith('.seg')).length).toBeGreaterThan(0);

    // 2. The API is back. The next start replays, and dies inside its fifth replay answer: that batch
    //    is stored and answered but not yet marked replayed in the spool.
    await f.restart();
    const second = startChild({ ...base, CHILD_MODE: 'die-replaying', CHILD_DIE_AFTER: '5' });
    expect((await second.exited).signal).toBe('SIGKILL');
    expect(second.lines.filter((l) => l.event === 'acked' && l.fromSpool)).toHaveLength(5);
    collect(second);

    // 3. The third start replays the rest (the fifth batch again: the API answers it from its
    //    idempotency record), sends 1,000 new records, and closes on SIGTERM.
    const third = startChild({ ...base, CHILD_MODE: 'finish', CHILD_FROM: '3000', CHILD_COUNT: '1000' });
    await third.next('sent');
    third.proc.kill('SIGTERM');
    const exit = await third.exited;
    expect(exit.signal, third.stderr()).toBe('SIGTERM');
    collect(third);
    const replayed = third.lines.filter((l) => l.event === 'acked' && l.fromSpool);
    expect(replayed).toHaveLength(30 - 4);
    expect(third.lines.filter((l) => l.event === 'failed')).toEqual([]);
    // close() of a drained spool leaves nothing behind.
    expect(await readdir(spool)).toEqual([]);

    await waitLoaded(f.trb, batchIds);
    const expected = Array.from({ length: 4000 }, (_, i) => `k-${i}`);
    for (const layer of ['raw', 'deduped'] as const) {
      const rows = await readLayer(f.trb, layer);
      expect(rows.total, layer).toBe(4000);
      expect(exactlyOnce(rows.ids, expected), layer).toEqual({ repeated: [], missing: [] });
    }
  }, 180_000);
});
