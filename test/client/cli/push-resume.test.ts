import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../../../bench/server-process.js';
import { cli, createTenant, layerTotal, settledRawTotal, spawnCli } from '../../support/cli.js';
import { removeDir, tempDir } from '../../support/temp-dir.js';

/**
 * `tributary push` against the real server, interrupted every way the issue names: SIGKILL halfway
 * through 200,000 records, Ctrl-C, and the server dying and coming back. Each time every record ends up
 * exactly once in raw (so exactly once in deduped too), because resumed batches reuse their keys.
 */
const ADMIN_KEY = 'cli-push-admin-key-0123456789abcdef';
const TENANT = 'pusher';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = '';
let server: ServerProcess;
let key = '';
let env: Record<string, string> = {};

async function makeStream(name: string): Promise<void> {
  const spec = join(dir, `${name}.yaml`);
  await writeFile(
    spec,
    `name: ${name}\nschema:\n  type: object\n  properties:\n    id: {type: string}\n    n: {type: integer}\n    pad: {type: string}\n  required: [id, n]\ndedupe: {key: [id]}\n`,
  );
  const r = await cli(['apply', '-f', spec], { env });
  expect(r.code, r.stderr).toBe(0);
}

async function writeRecords(file: string, count: number): Promise<number> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++)
    lines.push(JSON.stringify({ id: `r${String(i).padStart(7, '0')}`, n: i, pad: 'x'.repeat(40) }));
  const text = `${lines.join('\n')}\n`;
  await writeFile(file, text);
  return Buffer.byteLength(text);
}

async function checkpointOffset(file: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(`${file}.checkpoint.json`, 'utf8')) as { offset: number }).offset;
  } catch {
    return 0;
  }
}

/** Polls the checkpoint until it covers `atLeast` bytes; fails the test if the push ends first. */
async function waitForCheckpoint(
  file: string,
  atLeast: number,
  push: ReturnType<typeof spawnCli>,
): Promise<number> {
  let done = false;
  void push.exited.then(() => (done = true));
  for (;;) {
    const offset = await checkpointOffset(file);
    if (offset >= atLeast) return offset;
    if (done) throw new Error(`the push ended before its checkpoint reached ${atLeast}:\n${push.output()}`);
    await sleep(100);
  }
}

async function expectExactlyOnce(stream: string, count: number): Promise<void> {
  expect(await settledRawTotal(server.url, key, TENANT, stream, count)).toBe(count);
  expect(await layerTotal(server.url, key, TENANT, stream, 'deduped')).toBe(count);
}

beforeAll(async () => {
  dir = await tempDir('tributary-cli-push-');
  server = await startServer({
    dataDir: join(dir, 'data'),
    adminKey: ADMIN_KEY,
    env: { TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.3' },
  });
  key = await createTenant(server.url, ADMIN_KEY, TENANT);
  env = { TRIBUTARY_URL: server.url, TRIBUTARY_KEY: key, TRIBUTARY_TENANT: TENANT };
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  if (dir) await removeDir(dir);
});

describe('tributary push, interrupted and resumed', () => {
  it('SIGKILLed halfway through 200,000 records, --resume lands every record exactly once', async () => {
    await makeStream('big');
    const file = join(dir, 'big.ndjson');
    const size = await writeRecords(file, 200_000);
    const first = spawnCli(['push', file, '--stream', 'big', '--quiet'], env);
    const at = await waitForCheckpoint(file, size / 2, first);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(at).toBeLessThan(size);

    // Without --resume the CLI refuses, rather than send the file again under new keys.
    const refused = await cli(['push', file, '--stream', 'big'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--resume');

    const resumed = await cli(['push', file, '--stream', 'big', '--resume', '--json'], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout) as {
      files: { totals: { records: number; accepted: number }; resumedFrom: number }[];
    };
    expect(summary.files[0].resumedFrom).toBeGreaterThanOrEqual(at);
    expect(summary.files[0].totals.records).toBe(200_000);
    expect(summary.files[0].totals.accepted).toBe(200_000);
    expect(existsSync(`${file}.checkpoint.json`)).toBe(false);
    expect(existsSync(`${file}.rejects.ndjson`)).toBe(false);
    await expectExactlyOnce('big', 200_000);
  }, 600_000);

  it('stopped with Ctrl-C, saves its checkpoint, exits 130 and resumes exactly once', async () => {
    await makeStream('interrupted');
    const file = join(dir, 'interrupted.ndjson');
    await writeRecords(file, 50_000);
    const push = spawnCli(
      ['push', file, '--stream', 'interrupted', '--batch-records', '200', '--concurrency', '2'],
      env,
    );
    await waitForCheckpoint(file, 1, push);
    push.child.kill('SIGINT');
    const exit = await push.exited;
    expect(exit.code, push.output()).toBe(130);
    expect(push.output()).toContain('--resume');
    const saved = await checkpointOffset(file);
    expect(saved).toBeGreaterThan(0);

    const resumed = await cli(['push', file, '--stream', 'interrupted', '--resume'], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resumed at byte ${saved}`);
    await expectExactlyOnce('interrupted', 50_000);
  }, 600_000);

  it('rides out a server restart: retries until the server is back, and lands every record exactly once', async () => {
    await makeStream('restart');
    const file = join(dir, 'restart.ndjson');
    await writeRecords(file, 50_000);
    const push = spawnCli(['push', file, '--stream', 'restart', '--batch-records', '200', '--quiet'], env);
    await waitForCheckpoint(file, 1, push);
    await server.stop('SIGKILL');
    server = await startServer({
      dataDir: join(dir, 'data'),
      adminKey: ADMIN_KEY,
      port: server.port,
      env: { TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.3' },
    });
    const exit = await push.exited;
    expect(exit.code, push.output()).toBe(0);
    expect(existsSync(`${file}.checkpoint.json`)).toBe(false);
    await expectExactlyOnce('restart', 50_000);
  }, 600_000);
});
