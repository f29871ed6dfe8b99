import type { Logger } from 'pino';
import type { Catalog, CursorStore, LoadHistorySource, Metrics } from '../ports.js';

// The ports moved to api/ports.ts; re-exported so older import paths keep compiling.

/**
 * On AWS, Snowpipe loads the lake, so loadedRows and loadErrors come from the warehouse's load history
 * (COPY_HISTORY) rather than from a loader of ours. Run on a schedule; each run adds only new loads.
 */
export class LoadHistoryPoller {
  constructor(
    private readonly opts: {
      catalog: Catalog;
      source: () => Promise<LoadHistorySource>;
      metrics: Metrics;
      cursors: CursorStore;
      logger: Logger;
    },
  ) {}

  async poll(): Promise<{ streams: number; loads: number; failures: number }> {
    const out = { streams: 0, loads: 0, failures: 0 };
    const source = await this.opts.source();
    for (const tenant of await this.opts.catalog.listTenants()) {
      for (const stream of await this.opts.catalog.listStreams(tenant.name)) {
        if (stream.deletedAt) continue;
        out.streams++;
        try {
          const counted = await this.pollStream(source, tenant.name, stream.name, stream.createdAt);
          out.loads += counted.loads;
          out.failures += counted.failures;
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
    const seen = new Set(cursor.files);
    const fresh = (await source.loadHistory(tenant, stream, cursor.at))
      .filter((r) => r.loadedAt > cursor.at || (r.loadedAt === cursor.at && !seen.has(r.file)))
      .sort((a, b) => a.loadedAt.localeCompare(b.loadedAt));
    let loads = 0;
    let failures = 0;
    for (const r of fresh) {
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
    if (fresh.length) {
      const last = fresh[fresh.length - 1].loadedAt;
      const files = fresh.filter((r) => r.loadedAt === last).map((r) => r.file);
      const next =
        last === cursor.at ? { at: last, files: [...cursor.files, ...files] } : { at: last, files };
      // Counters first, cursor second: a crash in between re-counts one poll rather than losing it.
      await this.opts.metrics.flush();
      await this.opts.cursors.put(name, next);
    }
    return { loads, failures };
  }
}
