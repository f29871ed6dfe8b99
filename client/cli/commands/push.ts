import type { Command } from 'commander';
import { checkName, oneOf, positiveInt, wholeNumber } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { FORMATS, formatOfName, type Format } from '../input/items.js';
import { println } from '../io.js';
import type { Totals } from '../push/checkpoint.js';
import { progressFor } from '../push/progress.js';
import { pushFile, type PushFileResult, type Stop } from '../push/push-file.js';
import type { Runner } from '../runner.js';

/** The server's default caps are 10,000 records and 4 MiB a request; these stay well inside both. */
const DEFAULT_BATCH_RECORDS = 1000;
const DEFAULT_BATCH_BYTES = 1024 * 1024;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/**
 * How long one batch is retried (no answer, 408, 429, 502-504, 409 in progress) before the push stops with
 * its checkpoint saved: long enough for a server restart (and, in AWS mode, for a crashed attempt's claim to
 * expire, up to 60 s), short enough that an unattended push fails instead of hanging.
 */
const DEFAULT_TIMEOUT_SECONDS = 300;

interface PushOptions {
  stream: string;
  format?: Format;
  concurrency: number;
  batchRecords: number;
  batchBytes: number;
  resume?: boolean;
  timeout: number;
  allowRejects?: boolean;
  json?: boolean;
  quiet?: boolean;
}

function formatFor(file: string, flag: Format | undefined): Format {
  if (flag) return flag;
  if (file === '-') return 'ndjson';
  const f = formatOfName(file);
  if (!f)
    throw new UsageError(
      `cannot tell the format of ${file} from its name: pass --format ${FORMATS.join('|')}`,
    );
  return f;
}

function sum(results: PushFileResult[]): Totals {
  const t: Totals = { records: 0, accepted: 0, rejected: 0, duplicates: 0, invalid: 0, batches: 0 };
  for (const r of results) for (const k of Object.keys(t) as (keyof Totals)[]) t[k] += r.totals[k];
  return t;
}

function describe(r: PushFileResult): string[] {
  const t = r.totals;
  const rate = r.seconds > 0 ? Math.round(r.recordsThisRun / r.seconds) : 0;
  const lines = [
    `${r.file === '-' ? 'stdin' : r.file} → ${r.stream}: ${(t.records + t.invalid).toLocaleString('en-US')} records in ${t.batches} batch${t.batches === 1 ? '' : 'es'} ` +
      `(${r.seconds.toFixed(1)} s${r.resumedFrom !== undefined ? `, resumed at byte ${r.resumedFrom}` : ''}, ~${rate.toLocaleString('en-US')} rec/s): ` +
      `${t.accepted} accepted, ${t.rejected} rejected, ${t.duplicates} duplicates, ${t.invalid} unreadable`,
  ];
  if (r.rejectsFile) lines.push(`  rejects: ${r.rejectsFile}`);
  if (r.lastBatchId)
    lines.push(`  last batch: ${r.lastBatchId} (tributary receipt ${r.stream} ${r.lastBatchId} --wait)`);
  if (r.interrupted)
    lines.push(
      `  stopped: checkpoint ${r.checkpoint ?? '(none for stdin)'}; run the same command with --resume to continue`,
    );
  return lines;
}

export function registerPush(program: Command, run: Runner): void {
  program
    .command('push')
    .description('send files of records to a stream, resumably (- reads stdin; .gz is read as gzip)')
    .argument('<files...>')
    .requiredOption('--stream <stream>', 'the stream to send to')
    .option(
      '--format <format>',
      `${FORMATS.join(', ')} (default: from the file name; stdin: ndjson)`,
      oneOf('--format', FORMATS),
    )
    .option('--concurrency <n>', 'batches in flight at once', positiveInt('--concurrency', 64), 4)
    .option(
      '--batch-records <n>',
      'records per request (at most 10000)',
      positiveInt('--batch-records', 10_000),
      DEFAULT_BATCH_RECORDS,
    )
    .option(
      '--batch-bytes <n>',
      'bytes per request',
      positiveInt('--batch-bytes', MAX_BATCH_BYTES),
      DEFAULT_BATCH_BYTES,
    )
    .option('--resume', 'continue an interrupted push from its checkpoint (<file>.checkpoint.json)')
    .option(
      '--timeout <seconds>',
      'give up (checkpoint saved) on a batch still failing after retrying this long; 0: retry until Ctrl-C',
      wholeNumber('--timeout', 0, 7 * 24 * 3600),
      DEFAULT_TIMEOUT_SECONDS,
    )
    .option('--allow-rejects', 'exit 0 even when records were rejected')
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'no progress output')
    .action(
      run(async (ctx, files: string[], opts: PushOptions) => {
        const tenant = ctx.tenant();
        const stream = checkName('--stream', opts.stream);
        if (files.filter((f) => f === '-').length > 1)
          throw new UsageError('stdin (-) can be read only once');
        const formats = files.map((f) => formatFor(f, opts.format));
        const progress = progressFor(ctx.io, opts.quiet ?? false);
        const stop: Stop = { requested: false, abort: new AbortController() };
        const onSignal = () => {
          if (!stop.requested) {
            stop.requested = true;
            progress.note(
              'stopping: finishing the batches in flight and saving the checkpoint (Ctrl-C again to stop at once)',
            );
            stop.onRequest?.();
          } else stop.abort.abort(new Error('interrupted'));
        };
        ctx.io.signals?.on('SIGINT', onSignal);
        ctx.io.signals?.on('SIGTERM', onSignal);
        const results: PushFileResult[] = [];
        try {
          for (const [i, file] of files.entries()) {
            const result = await pushFile(
              ctx,
              {
                file,
                tenant,
                stream,
                format: formats[i],
                concurrency: opts.concurrency,
                limits: { records: opts.batchRecords, bytes: opts.batchBytes },
                resume: opts.resume ?? false,
                timeoutMs: opts.timeout ? opts.timeout * 1000 : undefined,
              },
              progress,
              stop,
            );
            results.push(result);
            if (result.interrupted) break;
          }
        } finally {
          ctx.io.signals?.off('SIGINT', onSignal);
          ctx.io.signals?.off('SIGTERM', onSignal);
        }
        const totals = sum(results);
        const interrupted = results.some((r) => r.interrupted);
        const rejected = totals.rejected + totals.invalid > 0;
        const exitCode = interrupted
          ? EXIT.interrupted
          : rejected && !opts.allowRejects
            ? EXIT.attention
            : EXIT.ok;
        if (opts.json)
          println(ctx.io.stdout, JSON.stringify({ files: results, totals, interrupted, exitCode }, null, 2));
        else {
          for (const r of results) for (const l of describe(r)) println(ctx.io.stdout, l);
          const n = totals.rejected + totals.invalid;
          if (exitCode === EXIT.attention)
            println(
              ctx.io.stderr,
              `${n} record${n === 1 ? ' was' : 's were'} rejected (exit ${EXIT.attention}; --allow-rejects exits 0)`,
            );
        }
        return exitCode;
      }),
    );
}
