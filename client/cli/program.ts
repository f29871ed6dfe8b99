import { Command, CommanderError } from 'commander';
import { registerApply } from './commands/apply.js';
import { registerInfer } from './commands/infer.js';
import { registerKeys } from './commands/keys.js';
import { registerPush } from './commands/push.js';
import { registerReads } from './commands/reads.js';
import { registerStreams } from './commands/streams.js';
import { registerTenants } from './commands/tenants.js';
import { DEFAULT_URL } from './context.js';
import { EXIT, explain } from './errors.js';
import type { CliIo } from './io.js';
import { makeRunner } from './runner.js';

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('tributary')
    .description('Tributary from the command line: push files, infer specs, keep streams in git')
    .option('--url <url>', `API base URL (env TRIBUTARY_URL, default ${DEFAULT_URL})`)
    .option('--key <key>', 'API key (env TRIBUTARY_KEY)')
    .option('--tenant <tenant>', 'tenant name (env TRIBUTARY_TENANT)')
    .showHelpAfterError('(tributary --help lists the commands)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  const run = makeRunner(io, setExit);
  registerPush(program, run);
  registerInfer(program, run);
  registerApply(program, run);
  registerStreams(program, run);
  registerKeys(program, run);
  registerReads(program, run);
  registerTenants(program, run);
  return program;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code; never exits itself. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message (and help) already; help and --version are not failures.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { message, exitCode } = explain(err);
    io.stderr.write(`error: ${message}\n`);
    return exitCode;
  }
}
