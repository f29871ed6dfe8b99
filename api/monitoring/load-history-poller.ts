import type { Logger } from 'pino';
import type { Catalog, CursorStore, LoadHistorySource, Metrics, ReceiptLoads } from '../ports.js';
import { advance, nextRows } from './history-cursor.js';
import { ReceiptMarker } from './receipt-marker.js';
import type { ReceiptMarkerLimits } from './receipt-marker.js';

/**
 * On AWS, Snowpipe loads the lake, so loadedRows and loadErrors come from the warehouse's load history
 * (COPY_HISTORY) rather than from a loader of ours. Run on a schedule; each run adds only new loads, at
 * most `rowsPerTick` of them, and stops before a load still in progress (not a failure: not done yet).
 * Given the receipt store, it also marks the receipts of the batches in newly loaded raw files
 * (receipt-marker.ts).
 */
export class LoadHistoryPoller {
  private readonly rowsPerTick: number;
  private readonly marker?: ReceiptMarker;

  constructor(
    private readonly opts: {
      catalog: Catalog;
      source: () => Promise<LoadHistorySource>;
      metrics: Metrics;
      cursors: CursorStore;
      logger: Logger;
      /** History rows counted per stream per tick; the cursor stops at the last one counted. */
      rowsPerTick?: number;
      /** Where loaded batches are marked (AWS receipts); without it receipts are left alone. */
      receipts?: ReceiptLoads;
      receiptLimits?: Partial<ReceiptMarkerLimits>;
      now?: () => Date;
    },
  ) {
    this.rowsPerTick = opts.rowsPerTick ?? 1000;
    if (opts.receipts)
      this.marker = new ReceiptMarker({
        receipts: opts.receipts,
        cursors: opts.cursors,
        logger: opts.logger,
        now: opts.now ?? (() => new Date()),
        limits: opts.receiptLimits,
      });
  }

  async poll(): Promise<{ streams: number; loads: number; failures: number; receipts: number }> {
    const out = { streams: 0, loads: 0, failures: 0, receipts: 0 };
    const source = await this.opts.source();
    for (const tenant of await this.opts.catalog.listTenants()) {
      for (const stream of await this.opts.catalog.listStreams(tenant.name)) {
        if (stream.deletedAt) continue;
        out.streams++;
        try {
          const counted = await this.pollStream(source, tenant.name, stream.name, stream.createdAt);
          out.loads += counted.loads;
          out.failures += counted.failures;
          out.receipts += counted.receipts;
        } catch (err) {
          this.opts.logger.warn(
            { err, tenant: tenant.name, stream: stream.name },
            'load history could not be read',
          );
        }
      }
    }
    return out;
  }

  private async pollStream(source: LoadHistorySource, tenant: string, stream: string, createdAt: string) {
    const name = `copy_history/${tenant}/${stream}`;
    const cursor = (await this.opts.cursors.get(name)) ?? { at: createdAt, files: [] };
    const marking =
      this.marker && source.batchesInFiles
        ? {
            marker: this.marker,
            source: {
              batchesInFiles: (t: string, s: string, files: string[]) => source.batchesInFiles!(t, s, files),
            },
            cursor: await this.marker.cursor(tenant, stream, createdAt),
          }
        : undefined;
    // One read serves both cursors: from whichever is further behind.
    const since = marking && marking.cursor.at < cursor.at ? marking.cursor.at : cursor.at;
    const history = await source.loadHistory(tenant, stream, since);
    const rows = nextRows(history, cursor, this.rowsPerTick);
    let loads = 0;
    let failures = 0;
    for (const r of rows) {
      const at = Date.parse(r.loadedAt);
      const loaded = r.status.toLowerCase() === 'loaded';
      if (loaded && r.kind === 'raw') {
        this.opts.metrics.add(tenant, stream, { loadedRows: r.rows }, at);
        loads++;
      }
      if (!loaded || r.errors > 0) {
        this.opts.metrics.add(tenant, stream, { loadErrors: 1 }, at);
        failures++;
      }
    }
    if (rows.length) {
      // Counters first, cursor second: a crash in between re-counts one poll rather than losing it.
      await this.opts.metrics.flush();
      await this.opts.cursors.put(name, advance(cursor, rows));
    }
    const receipts = marking
      ? await marking.marker.mark(marking.source, tenant, stream, history, marking.cursor)
      : 0;
    return { loads, failures, receipts };
  }
}
