import type { Command } from 'commander';
import { TributaryError } from '../index.js';
import { contextFor, type Ctx } from './context.js';
import { CliError, describeApiError } from './errors.js';
import type { CliIo } from './io.js';

/**
 * Wraps a command body for commander: builds the context from the global flags and records the exit
 * code the body returns. Commander passes the positional arguments, then the options, then the command.
 */
export type Runner = <Args extends unknown[]>(
  body: (ctx: Ctx, ...args: Args) => Promise<number | void>,
) => (...args: unknown[]) => Promise<void>;

export function makeRunner(io: CliIo, setExit: (code: number) => void): Runner {
  return (body) =>
    async (...args) => {
      const cmd = args[args.length - 1] as Command;
      const ctx = contextFor(cmd, io);
      try {
        const code = await body(ctx, ...(args.slice(0, -1) as never));
        if (code) setExit(code);
      } catch (err) {
        // Here the server's URL is known, for the message when it did not answer.
        throw err instanceof TributaryError ? new CliError(describeApiError(err, ctx.url)) : err;
      }
    };
}
