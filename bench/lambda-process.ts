import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import type { HostMessage, InvokeMessage } from './lambda-host.js';

/*
 * Runs a built Lambda bundle (infra/bundle.ts) in its own Node process, the way the Lambda Node.js
 * runtime does: the handler module is imported once, then invoked event by event. For the bundle tests
 * (test/lambda-bundle.test.ts) and the cold-start bench (bench/lambda-cold-start.ts). Like
 * server-process.ts it lives in bench/ so that the bench never imports from test/.
 */

const HOST_SOURCE = fileURLToPath(new URL('./lambda-host.ts', import.meta.url));
const KEEP_OUTPUT_CHARS = 64 * 1024;

export interface LambdaProcessOptions {
  /** The bundle directory (index.mjs + chunks): LAMBDA_TASK_ROOT. */
  bundleDir: string;
  /** The function's environment (what the stack sets), on top of what the runtime itself sets. */
  env?: Record<string, string>;
  /** Handler string, as in the function configuration. */
  handler?: string;
  memoryMiB?: number;
  functionName?: string;
  startTimeoutMs?: number;
}

export interface LambdaInit {
  /** From spawn until the handler was exported and ready, seen from the parent. */
  spawnToReadyMs: number;
  /** From process start until the handler was ready, seen from inside (Node's own clock). */
  processReadyMs: number;
  /** Importing the handler module and running its top level: Lambda's "Init Duration" minus the runtime's own start. */
  importMs: number;
  /** CPU the process spent until the handler was ready (all threads): steadier than wall time on a busy machine. */
  cpuMs: number;
}

export type Invocation<T> =
  | { ok: true; result: T; payloadBytes: number; durationMs: number; cpuMs: number }
  | { ok: false; errorType: string; errorMessage: string; durationMs: number };

export interface LambdaProcess {
  pid: number;
  init: LambdaInit;
  /** Sends one event; resolves with what the runtime would return for it. */
  invoke<T = unknown>(event: unknown): Promise<Invocation<T>>;
  /** The last 64 KiB of the function's stdout and stderr (its logs). */
  output(): string;
  stop(): Promise<void>;
}

/** The runtime's own environment variables, as Lambda sets them for a Node.js 22 function. */
function runtimeEnv(opts: LambdaProcessOptions): Record<string, string> {
  const name = opts.functionName ?? 'tributary-bundle';
  return {
    LAMBDA_TASK_ROOT: opts.bundleDir,
    _HANDLER: opts.handler ?? 'index.handler',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(opts.memoryMiB ?? 1024),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    TZ: ':UTC',
  };
}

/**
 * The parent's environment minus what must not leak into a function: the test runner's loader flags and
 * worker variables, and any Tributary or AWS settings of the shell (the function gets only its own).
 */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k === 'NODE_OPTIONS' || k.startsWith('VITEST')) continue;
    if (k.startsWith('TRIBUTARY_') || k.startsWith('SNOWFLAKE_') || k.startsWith('AWS_')) continue;
    env[k] = v;
  }
  return env;
}

let hostCode: Promise<string> | undefined;

/** The host as plain ESM JavaScript: no tsx loader in the child, whose module loading is what we measure. */
function hostScript(): Promise<string> {
  hostCode ??= readFile(HOST_SOURCE, 'utf8').then(
    async (source) => (await transform(source, { loader: 'ts', format: 'esm', target: 'node20' })).code,
  );
  return hostCode;
}

export async function startLambda(opts: LambdaProcessOptions): Promise<LambdaProcess> {
  const code = await hostScript();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: opts.bundleDir,
    env: { ...baseEnv(), ...runtimeEnv(opts), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > KEEP_OUTPUT_CHARS * 2) out = out.slice(-KEEP_OUTPUT_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const output = () => out.slice(-KEEP_OUTPUT_CHARS);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Never outlive the test runner or the bench, whatever way they end.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  const pending = new Map<number, (message: HostMessage) => void>();
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure ??= err;
    for (const settle of pending.values())
      settle({
        type: 'error',
        id: -1,
        errorType: 'Runtime.ExitError',
        errorMessage: err.message,
        durationMs: 0,
      });
    pending.clear();
  };
  void exited.then(() => failAll(new Error(`the function process exited; output:\n${output()}`)));

  const init = await new Promise<LambdaInit>((resolve, reject) => {
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    const timer = setTimeout(
      () => reject(new Error(`the handler was not ready within ${timeoutMs} ms; output:\n${output()}`)),
      timeoutMs,
    );
    child.on('message', (message: HostMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve({
          spawnToReadyMs: performance.now() - started,
          processReadyMs: message.processReadyMs,
          importMs: message.importMs,
          cpuMs: message.cpuMs,
        });
      } else if (message.type === 'init-error') {
        clearTimeout(timer);
        reject(new Error(`init failed: ${message.errorType}: ${message.errorMessage}\n${output()}`));
      } else if (message.type === 'result' || message.type === 'error') {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the function process exited during init; output:\n${output()}`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });

  let nextId = 1;
  const invoke = <T>(event: unknown): Promise<Invocation<T>> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<Invocation<T>>((resolve) => {
      pending.set(id, (message) => {
        if (message.type === 'result') {
          resolve({
            ok: true,
            result: JSON.parse(message.payload) as T,
            payloadBytes: Buffer.byteLength(message.payload),
            durationMs: message.durationMs,
            cpuMs: message.cpuMs,
          });
        } else if (message.type === 'error') {
          resolve({
            ok: false,
            errorType: message.errorType,
            errorMessage: message.errorMessage,
            durationMs: message.durationMs,
          });
        }
      });
      child.send({ type: 'invoke', id, event } satisfies InvokeMessage);
    });
  };

  return {
    pid: child.pid!,
    init,
    invoke,
    output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
