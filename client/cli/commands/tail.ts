import { println } from '../io.js';
import type { Ctx } from '../context.js';

/** One read per poll; more new rows than this between two polls are reported, not silently dropped. */
const PAGE = 1000;

interface RawRow {
  _batch_id?: unknown;
  _index?: unknown;
  [k: string]: unknown;
}

/** Raw rows are ordered by (_batch_id, _index): batch ids are time-ordered, so this is arrival order. */
function position(r: RawRow): [string, number] {
  return [typeof r._batch_id === 'string' ? r._batch_id : '', Number(r._index ?? 0)];
}

function after(a: [string, number], b: [string, number]): boolean {
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

/**
 * Prints the newest `lines` raw rows oldest first, then polls and prints rows past the newest one
 * printed, until SIGINT/SIGTERM (or `stop`) ends it.
 */
export async function followRows(
  ctx: Ctx,
  stream: string,
  opts: { lines: number; interval: number; stop?: AbortSignal },
): Promise<void> {
  const tenant = ctx.tenant();
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  ctx.io.signals?.once('SIGINT', stop);
  ctx.io.signals?.once('SIGTERM', stop);
  opts.stop?.addEventListener('abort', stop, { once: true });
  try {
    const first = await ctx.api.records.list(tenant, stream, { layer: 'raw', limit: opts.lines });
    const rows = (first.records as RawRow[]).reverse();
    for (const r of rows) println(ctx.io.stdout, JSON.stringify(r));
    let mark: [string, number] = rows.length ? position(rows[rows.length - 1]) : ['', -1];
    while (!stopped.signal.aborted) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.interval * 1000);
        stopped.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (stopped.signal.aborted) break;
      const page = await ctx.api.records.list(tenant, stream, { layer: 'raw', limit: PAGE });
      const fresh = (page.records as RawRow[]).filter((r) => after(position(r), mark)).reverse();
      if (fresh.length === PAGE)
        println(
          ctx.io.stderr,
          `tail: more than ${PAGE} rows arrived since the last poll; only the newest ${PAGE} are shown`,
        );
      for (const r of fresh) println(ctx.io.stdout, JSON.stringify(r));
      if (fresh.length) mark = position(fresh[fresh.length - 1]);
    }
  } finally {
    ctx.io.signals?.off('SIGINT', stop);
    ctx.io.signals?.off('SIGTERM', stop);
  }
}
