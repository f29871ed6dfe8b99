import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { REPO_ROOT } from '../../bench/server-process.js';
import type { CliIo } from '../../client/cli/io.js';
import { runCli } from '../../client/cli/program.js';
import { contractFetch } from './contract.js';

/** A writable that keeps what is written, for in-process CLI runs. */
class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in this process, its requests checked against openapi.yaml like every other test's.
 * `signals` lets a test send it SIGINT; `stdout` may be watched while it runs.
 */
export async function cli(
  argv: string[],
  o: {
    env?: Record<string, string>;
    cwd?: string;
    stdin?: string | Buffer;
    signals?: EventEmitter;
    stdout?: Capture;
  } = {},
): Promise<CliRun> {
  const stdout = o.stdout ?? new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end(o.stdin ?? '');
  const io: CliIo = {
    stdout,
    stderr,
    stdin,
    env: o.env ?? {},
    cwd: o.cwd ?? process.cwd(),
    fetch: contractFetch,
    signals: o.signals ?? new EventEmitter(),
  };
  const code = await runCli(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export function capture(): Capture {
  return new Capture();
}

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The CLI as its own process, through its bin (one process: SIGKILL and SIGINT reach it, not a wrapper). */
export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST') && !k.startsWith('TRIBUTARY_'))
      childEnv[k] = v;
  const child = spawn(process.execPath, ['bin/tributary.mjs', ...args], {
    cwd: REPO_ROOT,
    env: { ...childEnv, NODE_NO_WARNINGS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.off('exit', kill));
  return { child, output: () => out, exited };
}

/** Creates a tenant through the API; returns its admin key. */
export async function createTenant(url: string, adminKey: string, tenant: string): Promise<string> {
  const res = await contractFetch(`${url}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: tenant }),
  });
  if (res.status !== 201) throw new Error(`create tenant: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: { secret: string } }).key.secret;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Row count of a layer, read through the API. */
export async function layerTotal(
  url: string,
  key: string,
  tenant: string,
  stream: string,
  layer: string,
): Promise<number> {
  const res = await contractFetch(
    `${url}/v1/tenants/${tenant}/streams/${stream}/records?layer=${layer}&limit=1`,
    {
      headers: { authorization: `Bearer ${key}` },
    },
  );
  if (res.status !== 200) throw new Error(`read ${layer}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { total: number }).total;
}

/**
 * Waits until the raw layer holds at least `expected` rows and has stopped growing for a while (a late
 * duplicate would show up as more), or the deadline passes; returns the final count either way.
 */
export async function settledRawTotal(
  url: string,
  key: string,
  tenant: string,
  stream: string,
  expected: number,
  deadlineMs = 180_000,
): Promise<number> {
  const end = Date.now() + deadlineMs;
  let last = -1;
  let stable = 0;
  for (;;) {
    const total = await layerTotal(url, key, tenant, stream, 'raw');
    stable = total === last ? stable + 1 : 0;
    last = total;
    if ((total >= expected && stable >= 4) || Date.now() > end) return total;
    await sleep(500);
  }
}
