import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/*
 * Runs the real server as a child process, for the benches (bench/ingest.ts, bench/soak.ts) and the
 * process-level tests (test/crash, test/server). It lives in bench/ so that the benches never import
 * from test/: tests may lean on bench code, not the other way round.
 */

/** The repository root: api/server.ts and the `tsx` loader resolve from here. */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The same V8 flags `npm start` uses (package.json): a larger young generation means fewer scavenges on ingest. */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=16'];

const READY = /Tributary is running on http:\/\/localhost:(\d+)/;
const KEEP_OUTPUT_CHARS = 64 * 1024;

export interface ServerOptions {
  dataDir: string;
  adminKey: string;
  /** 0 (the default) lets the kernel pick a free port; the banner tells us which. */
  port?: number;
  logLevel?: string;
  /** Extra environment (TRIBUTARY_* settings). */
  env?: Record<string, string>;
  /** Extra node flags before the entry point, e.g. --cpu-prof. */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Resolves once the process has exited (immediately if it already has). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 64 KiB of stdout and stderr, for failure messages. */
  output(): string;
  /** Sends `signal` and waits for the process to be gone. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node --import tsx api/server.ts` as its own process (one process: no tsx wrapper whose
 * child would outlive a SIGKILL) and resolves when it prints its banner.
 */
export async function startServer(opts: ServerOptions): Promise<ServerProcess> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // The test runner's own loader flags and worker variables must not leak into the server.
    if (v === undefined || k === 'NODE_OPTIONS' || k.startsWith('VITEST') || k.startsWith('TRIBUTARY_'))
      continue;
    env[k] = v;
  }
  Object.assign(env, {
    PORT: String(opts.port ?? 0),
    TRIBUTARY_MODE: 'local',
    TRIBUTARY_DATA_DIR: opts.dataDir,
    TRIBUTARY_ADMIN_KEY: opts.adminKey,
    TRIBUTARY_LOG_LEVEL: opts.logLevel ?? 'warn',
    NODE_NO_WARNINGS: '1',
    ...opts.env,
  });
  const child = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, '--import', 'tsx', ...(opts.nodeArgs ?? []), 'api/server.ts'],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > KEEP_OUTPUT_CHARS * 2) out = out.slice(-KEEP_OUTPUT_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // Never outlive the test runner or the bench, whatever way they end.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  const output = () => out.slice(-KEEP_OUTPUT_CHARS);
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`server did not start within ${timeoutMs} ms; output:\n${output()}`));
    }, timeoutMs);
    const onData = () => {
      const m = READY.exec(out);
      if (m) {
        cleanup();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(
        new Error(`server exited during start-up (code ${code}, signal ${signal}); output:\n${output()}`),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  }).catch(async (err: unknown) => {
    await stop('SIGKILL');
    throw err;
  });
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid!, child, exited, output, stop };
}
