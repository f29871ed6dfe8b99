/**
 * On AWS a receipt is 'delivered' once Firehose has the batch; Snowpipe loads it later. The load poller
 * hands this marker the COPY_HISTORY rows it reads: for the raw files loaded since its own cursor it asks
 * the warehouse which batches they hold (Firehose packs many into one object) and marks those receipts
 * loaded with the file's load time. Its cursor is separate from the counters', so a backlog of receipts
 * never holds back the load counters.
 */
import type { Logger } from 'pino';
import { InvalidInputError } from '../domain/errors.js';
import type { CursorStore, LoadCursor, LoadHistoryRow, LoadHistorySource, ReceiptLoads } from '../ports.js';
import { advance, nextRows } from './history-cursor.js';

export interface ReceiptMarkerLimits {
  /** History rows handled per stream per tick. */
  filesPerTick: number;
  /** Files per batch lookup in the warehouse. */
  filesPerQuery: number;
  /** Once this many receipts are due in a tick, no further files are taken (the rest wait a tick). */
  marksPerTick: number;
  /** Receipt writes in flight. */
  concurrency: number;
}

export const DEFAULT_RECEIPT_LIMITS: ReceiptMarkerLimits = {
  filesPerTick: 200,
  filesPerQuery: 50,
  marksPerTick: 2000,
  concurrency: 8,
};

type BatchLookup = Required<Pick<LoadHistorySource, 'batchesInFiles'>>;

/** Receipts live a week (DynamoReceiptStore); older loads have nothing left to mark. */
const RECEIPT_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

const loaded = (r: LoadHistoryRow) => {
  const s = r.status.toLowerCase();
  return r.kind === 'raw' && r.rows > 0 && (s === 'loaded' || s === 'partially loaded');
};

export class ReceiptMarker {
  private readonly limits: ReceiptMarkerLimits;
  /** Streams whose raw table cannot answer (no _FILE yet): said once per container, not every tick. */
  private readonly unmappable = new Set<string>();

  constructor(
    private readonly opts: {
      receipts: ReceiptLoads;
      cursors: CursorStore;
      logger: Logger;
      now: () => Date;
      limits?: Partial<ReceiptMarkerLimits>;
    },
  ) {
    this.limits = { ...DEFAULT_RECEIPT_LIMITS, ...opts.limits };
  }

  private name(tenant: string, stream: string) {
    return `receipts/${tenant}/${stream}`;
  }

  async cursor(tenant: string, stream: string, createdAt: string): Promise<LoadCursor> {
    const stored = await this.opts.cursors.get(this.name(tenant, stream));
    if (stored) return stored;
    const oldest = new Date(this.opts.now().getTime() - RECEIPT_LIFETIME_MS).toISOString();
    return { at: createdAt > oldest ? createdAt : oldest, files: [] };
  }

  /** Marks the receipts of the raw files loaded after `cursor`; returns how many it marked. */
  async mark(
    source: BatchLookup,
    tenant: string,
    stream: string,
    history: LoadHistoryRow[],
    cursor: LoadCursor,
  ): Promise<number> {
    const rows = nextRows(history, cursor, this.limits.filesPerTick);
    const due = new Map<string, { rows: number; at: string }>();
    let taken = 0;
    while (taken < rows.length && due.size < this.limits.marksPerTick) {
      const chunk = rows.slice(taken, taken + this.limits.filesPerQuery);
      const files = chunk.filter(loaded);
      const at = new Map(files.map((r) => [r.file, r.loadedAt]));
      for (const b of files.length ? await this.lookup(source, tenant, stream, [...at.keys()]) : []) {
        const time = at.get(b.file) ?? '';
        const seen = due.get(b.batchId);
        // A batch in two files of this tick: its load time is the later one.
        due.set(b.batchId, { rows: b.rows, at: seen && seen.at > time ? seen.at : time });
      }
      taken += chunk.length;
    }
    const marked = await this.markAll(tenant, stream, [...due.entries()]);
    if (taken > 0)
      await this.opts.cursors.put(this.name(tenant, stream), advance(cursor, rows.slice(0, taken)));
    return marked;
  }

  private async lookup(source: BatchLookup, tenant: string, stream: string, files: string[]) {
    try {
      return await source.batchesInFiles(tenant, stream, files);
    } catch (err) {
      // A compile error (a raw table from before _FILE) will not go away by retrying: its receipts turn
      // loaded when read instead (the batch's row count). Anything else is retried next tick.
      if (!(err instanceof InvalidInputError)) throw err;
      const key = `${tenant}/${stream}`;
      if (!this.unmappable.has(key)) {
        this.unmappable.add(key);
        this.opts.logger.warn(
          { err, tenant, stream },
          'raw files cannot be mapped to batches; receipts skipped',
        );
      }
      return [];
    }
  }

  private async markAll(
    tenant: string,
    stream: string,
    due: Array<[string, { rows: number; at: string }]>,
  ): Promise<number> {
    let next = 0;
    let marked = 0;
    const worker = async () => {
      while (next < due.length) {
        const [batchId, { rows, at }] = due[next++];
        if (await this.opts.receipts.markLoaded(tenant, stream, batchId, at, rows)) marked++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.limits.concurrency, due.length) }, worker));
    return marked;
  }
}
