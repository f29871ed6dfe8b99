import type { Readable } from 'node:stream';

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: Readable;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Passed to the API client (tests inject a contract-checking fetch). */
  fetch?: typeof fetch;
  /** Where SIGINT/SIGTERM arrive; tests pass their own emitter. */
  signals?: NodeJS.EventEmitter;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signals: process,
  };
}

/** Writes a line (the CLI's output is line-oriented). */
export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
