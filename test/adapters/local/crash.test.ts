import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDelivery } from '../../../api/adapters/local/index.js';
import {
  FileLoadTarget,
  silentLogger,
  SumMetrics,
  tempDir,
  testDeliveryDefaults,
  testStream,
} from './support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs the child until it has acknowledged `acks` batches, then SIGKILLs it. Returns the acked ids. */
async function runAndKill(dataDir: string, whDir: string, acks: number, gzip: boolean): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'crash-child.ts'), dataDir, whDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CRASH_GZIP: gzip ? '1' : '0' },
    },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length - 2 >= acks) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${err}`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const lines = out.split('\n');
  lines.pop(); // possibly incomplete
  const ids: string[] = [];
  for (const line of lines) {
    if (line === 'started') continue;
    const [batchId, n, rejects] = line.split(' ');
    for (let i = 0; i < Number(n); i++) ids.push(`${batchId}-${i}`);
    for (let i = 0; i < Number(rejects); i++) ids.push(`q:${batchId}:${1000 + i}`);
  }
  return ids;
}

describe('LocalDelivery crash safety', () => {
  let root: string;
  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('loads every acknowledged record exactly once after SIGKILLs at arbitrary instants', async () => {
    const dataDir = path.join(root, 'data');
    const whDir = path.join(root, 'wh');
    // Two kills: the second child also starts by recovering what the first left behind.
    const acked = [
      ...(await runAndKill(dataDir, whDir, 400, false)),
      ...(await runAndKill(dataDir, whDir, 300, true)),
    ];
    expect(acked.length).toBeGreaterThan(500);

    const target = new FileLoadTarget(whDir);
    const d = new LocalDelivery({
      ...testDeliveryDefaults,
      dataDir,
      target,
      getStream: async (t, s) => testStream(t, s),
      metrics: new SumMetrics(),
      logger: silentLogger,
      highWatermarkBytes: 256 * 1024 * 1024,
      gzip: false,
      drainTimeoutMs: 30_000,
    });
    await d.start();
    await d.drain();
    await d.close();

    const loaded = await target.loadedIds();
    const counts = new Map<string, number>();
    for (const id of loaded) counts.set(id, (counts.get(id) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1);
    expect(duplicated).toEqual([]);
    const missing = acked.filter((id) => !counts.has(id));
    expect(missing).toEqual([]);
    // Everything published was loaded; no temp files are left visible in the lake.
    const lakeFiles = await fs.readdir(path.join(dataDir, 'tmp'));
    expect(lakeFiles).toEqual([]);
  });
});
