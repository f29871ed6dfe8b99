import type { Logger } from 'pino';
import type { ObjectKind } from '../../domain/records/types.js';
import type { LakeObject, LoadTarget } from '../../ports.js';
import type { Admission } from './admission.js';
import type { LogEntry } from './frame.js';
import type { Lake, ListedObject } from './lake.js';
import type { LoadTracker, Unit } from './load-tracker.js';
import type { Loader } from './loader.js';
import type { WriteAheadLog } from './log.js';
import { bufferKey, type Publisher } from './publisher.js';
import type { ReceiptBook } from './receipt-book.js';

export interface RecoveryOptions {
  wal: WriteAheadLog;
  lake: Lake;
  receipts: ReceiptBook;
  publisher: Publisher;
  tracker: LoadTracker;
  admission: Admission;
  loader: Loader;
  target: LoadTarget;
  logger: Logger;
  now: () => number;
  /** Wait before retrying a refresh that could not read the load history or a lake object. */
  refreshRetryMs: number;
  /** Told of every logged batch stored under an idempotency claim, before anything is published. */
  restoreClaim?: (entry: LogEntry) => void;
}

/** The log range one published object covers. */
interface Range {
  first: number;
  last: number;
  key: string;
}

/** Published log ranges per kind and stream, sorted by first. */
type Coverage = Map<string, Range[]>;

/**
 * Start-up recovery and refresh. The lake is the checkpoint: every object's name carries the log
 * range it covers, so recovery re-buffers only the logged entries no object holds, and the refresh
 * queues every object the load target has not loaded (ALTER PIPE ... REFRESH).
 */
export class Recovery {
  private started = false;
  private closed = false;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RecoveryOptions) {}

  /**
   * Replays what no lake object holds yet, publishes it, then queues every unloaded object.
   * Returns the next log sequence number.
   */
  async run(): Promise<number> {
    const { wal, lake, receipts, publisher, logger } = this.opts;
    if (this.started) throw new Error('LocalDelivery already started');
    this.started = true;
    await lake.init();
    await receipts.init();
    const listed = await lake.list();
    const coverage: Coverage = new Map();
    let maxLsn = 0;
    for (const o of listed) {
      const k = bufferKey(o.kind, o.tenant, o.stream);
      let ranges = coverage.get(k);
      if (!ranges) coverage.set(k, (ranges = []));
      ranges.push({ first: o.firstLsn, last: o.lastLsn, key: o.key });
      maxLsn = Math.max(maxLsn, o.lastLsn);
    }
    for (const ranges of coverage.values()) ranges.sort((a, b) => a.first - b.first);

    const recovered = await wal.recover();
    let nextLsn = Math.max(maxLsn, recovered.maxLsn) + 1;
    let replayed = 0;
    publisher.beginReplay();
    try {
      for (const seg of recovered.segments) {
        for (const entry of seg.entries) {
          replayed += this.replay(entry, seg.id, coverage);
          nextLsn = Math.max(nextLsn, entry.lsn + 1);
        }
      }
    } finally {
      publisher.endReplay();
    }
    await wal.openActive(nextLsn);
    wal.sweep();
    if (replayed > 0) logger.info({ parts: replayed }, 'replaying unpublished log entries');
    publisher.flushAll();
    await publisher.settle();
    await this.refresh(listed);
    return nextLsn;
  }

  /**
   * Queues every lake object of the tenant that its (new, empty) warehouse database has not loaded:
   * called when the database file was created again after being removed or found corrupt.
   */
  async refreshTenant(tenant: string): Promise<void> {
    if (!this.started || this.closed) return;
    const listed = (await this.opts.lake.list()).filter((o) => o.tenant === tenant);
    if (listed.length === 0) return;
    this.opts.logger.warn(
      { tenant, objects: listed.length },
      'the tenant database was created anew; loading again every lake object it lacks',
    );
    await this.refresh(listed, false);
  }

  close(): void {
    this.closed = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
  }

  /** Re-buffers the parts of a logged entry that no published object covers. Returns parts replayed. */
  private replay(entry: LogEntry, segment: number, coverage: Coverage): number {
    if (entry.claim) this.opts.restoreClaim?.(entry);
    const objects: string[] = [];
    const parts: ObjectKind[] = [];
    for (const kind of ['raw', 'quarantine'] as const) {
      if ((kind === 'raw' ? entry.recordCount : entry.rejectCount) === 0) continue;
      const covering = findRange(coverage.get(bufferKey(kind, entry.tenant, entry.stream)), entry.lsn);
      if (covering) objects.push(covering.key);
      else parts.push(kind);
    }
    this.opts.receipts.open(entry, parts.length, objects);
    this.opts.publisher.take(entry, segment, parts);
    return parts.length;
  }

  /**
   * Start-up refresh (ALTER PIPE ... REFRESH): queues every listed object the target has not loaded.
   * Retried in the background when the target cannot answer. `trustMemory` skips objects this
   * process saw loaded, which is right unless the target lost them (a new database file).
   */
  private async refresh(listed: ListedObject[], trustMemory = true): Promise<void> {
    const { lake, tracker, admission, loader, target, logger } = this.opts;
    const byTenant = new Map<string, ListedObject[]>();
    for (const o of listed) {
      const list = byTenant.get(o.tenant) ?? [];
      list.push(o);
      byTenant.set(o.tenant, list);
    }
    const failed: ListedObject[] = [];
    for (const [tenant, objects] of byTenant) {
      let loaded: Set<string>;
      try {
        loaded = await target.loadedKeys(tenant);
      } catch (err) {
        logger.warn({ err, tenant }, 'could not read the load history; will retry the refresh');
        failed.push(...objects);
        continue;
      }
      for (const o of objects) {
        if (
          loaded.has(o.key) ||
          (trustMemory && tracker.loadedTime(o.key) !== undefined) ||
          tracker.isPending(o.key)
        )
          continue;
        let info: { records: number; firstReceivedAt?: string };
        try {
          info = await lake.inspect(o);
        } catch (err) {
          logger.error({ err, object: o.key }, 'could not read a lake object');
          failed.push(o);
          continue;
        }
        const obj: LakeObject = {
          tenant,
          stream: o.stream,
          kind: o.kind,
          key: o.key,
          path: o.path,
          bytes: o.bytes,
          records: info.records,
        };
        const unit: Unit = {
          minReceivedAt: info.firstReceivedAt ?? new Date(this.opts.now()).toISOString(),
          records: info.records,
        };
        tracker.track(obj, unit);
        admission.found(obj.bytes);
        loader.notify(obj);
      }
    }
    if (failed.length > 0 && !this.closed) {
      this.refreshTimer = setTimeout(() => {
        this.refreshTimer = undefined;
        void this.refresh(failed, trustMemory);
      }, this.opts.refreshRetryMs);
      this.refreshTimer.unref();
    }
  }
}

/** The published range holding `lsn`, if any (ranges are disjoint and sorted by first). */
function findRange(ranges: Range[] | undefined, lsn: number): Range | undefined {
  if (!ranges) return undefined;
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (lsn < r.first) hi = mid - 1;
    else if (lsn > r.last) lo = mid + 1;
    else return r;
  }
  return undefined;
}
