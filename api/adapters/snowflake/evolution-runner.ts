/**
 * Runs an evolution plan (evolution.ts) on one tenant's connection: plain statements in order, and the
 * pipe replacement's steps that read Snowflake's answers (pipe-replacement.ts).
 */
import type { Logger } from 'pino';
import { DependencyUnavailableError } from '../../domain/errors.js';
import type { Row } from './connection.js';
import type { EvolutionStep } from './evolution.js';
import {
  FILES_PER_QUERY,
  catchUpSql,
  filesInRawSql,
  isDrained,
  listedFiles,
  missingFiles,
  parsePipeStatus,
} from './pipe-replacement.js';
import type { CatchUp, PipeStatus } from './pipe-replacement.js';

export interface DrainSettings {
  /** Between two SYSTEM$PIPE_STATUS reads. */
  pollMs: number;
  /** How long the pipe may take to finish its pending files; the request evolving the stream waits. */
  maxWaitMs: number;
}

/** Inside the 30 s the API function has, with room for the statements around the wait. */
export const DEFAULT_DRAIN: DrainSettings = { pollMs: 1000, maxWaitMs: 15_000 };

export interface EvolutionRunOptions {
  execute: (sql: string) => Promise<Row[]>;
  logger: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  drain: DrainSettings;
}

export interface EvolutionRunResult {
  statements: number;
  /** Lake objects the catch-up queued on the new pipe. */
  caughtUp: string[];
}

export async function runEvolution(
  steps: EvolutionStep[],
  opts: EvolutionRunOptions,
): Promise<EvolutionRunResult> {
  let statements = 0;
  const run = (sql: string) => {
    statements++;
    return opts.execute(sql);
  };
  /** Set while the old pipe is paused and not yet replaced: what puts it back if a step fails. */
  let resume: string | undefined;
  let handled = new Set<string>();
  const caughtUp: string[] = [];
  try {
    for (const step of steps) {
      switch (step.kind) {
        case 'sql':
          await run(step.sql);
          break;
        case 'pause':
          await run(step.pause);
          resume = step.resume;
          await drain(step.status, run, opts);
          break;
        case 'replace-pipe':
          handled = new Set((await run(step.catchUp.handledSql)).map((r) => String(r.FILE_NAME)));
          await run(step.sql);
          resume = undefined;
          break;
        case 'catch-up':
          caughtUp.push(...(await catchUp(step.catchUp, handled, run, opts.logger)));
          break;
      }
    }
  } catch (err) {
    if (resume) {
      // The old pipe still has its COPY: resumed, it loads what waited (and the lake keeps the rest).
      await run(resume).catch((resumeErr: unknown) =>
        opts.logger.error({ err: resumeErr }, 'could not resume the raw pipe after a failed evolution'),
      );
    }
    throw err;
  }
  return { statements, caughtUp };
}

async function drain(
  statusSql: string,
  run: (sql: string) => Promise<Row[]>,
  opts: EvolutionRunOptions,
): Promise<void> {
  const deadline = opts.now() + opts.drain.maxWaitMs;
  let status: PipeStatus;
  for (;;) {
    status = parsePipeStatus((await run(statusSql))[0]?.STATUS);
    if (isDrained(status)) return;
    if (opts.now() + opts.drain.pollMs > deadline) break;
    await opts.sleep(opts.drain.pollMs);
  }
  throw new DependencyUnavailableError(
    `Snowpipe did not finish its pending files within ${opts.drain.maxWaitMs / 1000} s ` +
      `(executionState ${status.executionState}, pendingFileCount ${status.pendingFileCount}); ` +
      'the pipe was resumed and the schema left as it was: retry the change',
    Math.ceil(opts.drain.maxWaitMs / 1000),
  );
}

async function catchUp(
  c: CatchUp,
  handled: Set<string>,
  run: (sql: string) => Promise<Row[]>,
  logger: Logger,
): Promise<string[]> {
  const listed = new Map<string, string>();
  for (const sql of c.listSql) for (const [key, at] of listedFiles(await run(sql), c)) listed.set(key, at);
  const candidates = missingFiles(listed.keys(), handled);
  const inRaw = new Set<string>();
  for (let i = 0; i < candidates.length; i += FILES_PER_QUERY) {
    const rows = await run(filesInRawSql(c, candidates.slice(i, i + FILES_PER_QUERY)));
    for (const r of rows) inRaw.add(String(r._FILE));
  }
  const missing = new Map(missingFiles(candidates, inRaw).map((k) => [k, listed.get(k)!]));
  const refreshes = catchUpSql(c, missing);
  if (refreshes.length < missing.size)
    logger.warn(
      { pipe: c.objects.rawPipe, missing: missing.size, refreshes: refreshes.length },
      'many files missed the replaced pipe: refreshed by hour, so some may load twice',
    );
  for (const sql of refreshes) await run(sql);
  return [...missing.keys()];
}
