import type { Command } from 'commander';
import type { Layer } from '../../index.js';
import { checkName, oneOf, positiveInt } from '../context.js';
import { EXIT } from '../errors.js';
import { println } from '../io.js';
import { printJson, printRows, ROW_FORMATS, type RowFormat } from '../output.js';
import type { Runner } from '../runner.js';
import { followRows } from './tail.js';

const LAYERS: readonly Layer[] = ['raw', 'deduped', 'entity'];
/** What `receipt --wait` can wait for (a batch is buffered once acknowledged). */
type WaitState = 'delivered' | 'loaded';
const STATES: readonly WaitState[] = ['delivered', 'loaded'];
/** The API's cap on one read. */
const MAX_LIMIT = 10_000;

export function registerReads(program: Command, run: Runner): void {
  program
    .command('records')
    .description('rows of a layer, newest first (PII masked unless the key has pii)')
    .argument('<stream>')
    .option('--layer <layer>', `one of ${LAYERS.join(', ')}`, oneOf('--layer', LAYERS), 'raw')
    .option('--limit <n>', `rows to read (at most ${MAX_LIMIT})`, positiveInt('--limit', MAX_LIMIT), 20)
    .option('--format <format>', `one of ${ROW_FORMATS.join(', ')}`, oneOf('--format', ROW_FORMATS), 'table')
    .action(
      run(async (ctx, stream: string, opts: { layer: Layer; limit: number; format: RowFormat }) => {
        const res = await ctx.api.records.list(ctx.tenant(), checkName('stream', stream), {
          layer: opts.layer,
          limit: opts.limit,
        });
        printRows(ctx.io.stdout, res.records, opts.format);
        if (opts.format === 'table')
          println(ctx.io.stderr, `${res.records.length} of ${res.total} rows in ${res.layer}`);
      }),
    );

  program
    .command('rejections')
    .description('quarantined records with their errors, newest first')
    .argument('<stream>')
    .option('--limit <n>', `rejections to read (at most ${MAX_LIMIT})`, positiveInt('--limit', MAX_LIMIT), 20)
    .option('--batch <batchId>', 'only those of one batch (as a push summary or rejects file names it)')
    .option('--format <format>', `one of ${ROW_FORMATS.join(', ')}`, oneOf('--format', ROW_FORMATS), 'table')
    .action(
      run(async (ctx, stream: string, opts: { limit: number; batch?: string; format: RowFormat }) => {
        const res = await ctx.api.rejections.list(ctx.tenant(), checkName('stream', stream), {
          limit: opts.limit,
        });
        const rows = res.rejections.filter((r) => !opts.batch || r.batchId === opts.batch);
        printRows(
          ctx.io.stdout,
          opts.format === 'table'
            ? rows.map((r) => ({
                received: r.receivedAt,
                batch: r.batchId,
                index: r.index,
                reason: r.reason,
                errors: r.errors.map((e) => `${e.path}: ${e.message}`).join('; '),
                record: r.record,
              }))
            : rows,
          opts.format,
        );
        if (opts.format === 'table') println(ctx.io.stderr, `${rows.length} shown; ${res.total} in all`);
      }),
    );

  program
    .command('receipt')
    .description("a batch's way through: buffered, delivered, loaded")
    .argument('<stream>')
    .argument('<batchId>')
    .option('--wait', 'wait until the batch reaches --state')
    .option('--state <state>', `with --wait: one of ${STATES.join(', ')}`, oneOf('--state', STATES), 'loaded')
    .option('--timeout <seconds>', 'with --wait: give up after this long', positiveInt('--timeout'), 120)
    .action(
      run(
        async (
          ctx,
          stream: string,
          batchId: string,
          opts: { wait?: boolean; state: WaitState; timeout: number },
        ) => {
          const tenant = ctx.tenant();
          checkName('stream', stream);
          const receipt = opts.wait
            ? await ctx.api.receipts.wait(tenant, stream, batchId, {
                state: opts.state,
                timeoutMs: opts.timeout * 1000,
              })
            : await ctx.api.receipts.get(tenant, stream, batchId);
          printJson(ctx.io.stdout, receipt);
          return receipt.loadFailed ? EXIT.attention : EXIT.ok;
        },
      ),
    );

  program
    .command('tail')
    .description('print the newest raw rows as NDJSON, then follow new ones as they load (Ctrl-C stops)')
    .argument('<stream>')
    .option('-n, --lines <n>', 'rows to print first', positiveInt('--lines', MAX_LIMIT), 10)
    .option('--interval <seconds>', 'seconds between polls', positiveInt('--interval', 3600), 1)
    .action(
      run(async (ctx, stream: string, opts: { lines: number; interval: number }) => {
        await followRows(ctx, checkName('stream', stream), opts);
      }),
    );
}
