/*
 * The child side of bench/lambda-process.ts: a stand-in for the Lambda Node.js runtime. It imports the
 * handler module from LAMBDA_TASK_ROOT once (the init phase), then calls `handler(event, context)` for
 * every event the parent sends over IPC and sends back what the runtime would: the result serialized as
 * JSON, or the error. It imports only Node built-ins, so it runs as plain JavaScript after esbuild strips
 * the types; it must never load the repository's sources, only the bundle.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/** Parent → child. */
export interface InvokeMessage {
  type: 'invoke';
  id: number;
  event: unknown;
}

/** Child → parent. */
export type HostMessage =
  | { type: 'ready'; importMs: number; processReadyMs: number; cpuMs: number }
  | { type: 'init-error'; errorType: string; errorMessage: string }
  | { type: 'result'; id: number; payload: string; durationMs: number; cpuMs: number }
  | { type: 'error'; id: number; errorType: string; errorMessage: string; durationMs: number };

type Handler = (event: unknown, context: object) => Promise<unknown>;

function send(message: HostMessage): void {
  process.send?.(message);
}

function describe(err: unknown): { errorType: string; errorMessage: string } {
  return err instanceof Error
    ? { errorType: err.name, errorMessage: err.message }
    : { errorType: 'Error', errorMessage: String(err) };
}

const env = process.env;
const [moduleName, exportName] = (env._HANDLER ?? 'index.handler').split('.');
const memoryMiB = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1024');
const timeoutMs = Number(env.LAMBDA_HOST_TIMEOUT_MS ?? '30000');
const functionName = env.AWS_LAMBDA_FUNCTION_NAME ?? 'tributary';

function context(id: number): object {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${env.AWS_REGION ?? 'us-east-1'}:123456789012:function:${functionName}`,
    memoryLimitInMB: String(memoryMiB),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function init(): Promise<Handler> {
  const root = env.LAMBDA_TASK_ROOT ?? process.cwd();
  const started = performance.now();
  const mod = (await import(pathToFileURL(path.join(root, `${moduleName}.mjs`)).href)) as Record<
    string,
    unknown
  >;
  const handler = mod[exportName];
  if (typeof handler !== 'function') throw new TypeError(`${moduleName}.${exportName} is not a function`);
  // performance.now() and cpuUsage() count from process start: the whole cold start up to a ready handler.
  const cpu = process.cpuUsage();
  send({
    type: 'ready',
    importMs: performance.now() - started,
    processReadyMs: performance.now(),
    cpuMs: (cpu.user + cpu.system) / 1000,
  });
  return handler as Handler;
}

async function invoke(handler: Handler, message: InvokeMessage): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    const result = await handler(message.event, context(message.id));
    const used = process.cpuUsage(cpu);
    send({
      type: 'result',
      id: message.id,
      // What the runtime hands the load balancer: the result as JSON (undefined becomes null).
      payload: JSON.stringify(result ?? null),
      durationMs: performance.now() - started,
      cpuMs: (used.user + used.system) / 1000,
    });
  } catch (err) {
    send({ type: 'error', id: message.id, ...describe(err), durationMs: performance.now() - started });
  }
}

init().then(
  (handler) => {
    // One invocation at a time, as in a Lambda execution environment.
    let queue = Promise.resolve();
    process.on('message', (message: InvokeMessage) => {
      if (message?.type === 'invoke') queue = queue.then(() => invoke(handler, message));
    });
  },
  (err: unknown) => {
    send({ type: 'init-error', ...describe(err) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
