import type { Command } from 'commander';
import { contextFor, type Ctx } from './context.js';
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
      const code = await body(contextFor(cmd, io), ...(args.slice(0, -1) as never));
      if (code) setExit(code);
    };
}
