import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BatchReceipt } from '../../domain/records/types.js';
import type { LoadTarget } from '../../ports.js';
import type { LogEntry } from './frame.js';
import type { LoadTracker } from './load-tracker.js';
import { ReceiptIndex, type ReceiptLine } from './receipts.js';

interface ReceiptState {
  tenant: string;
  batchId: string;
  receivedAt: string;
  accepted: number;
  rejected: number;
  /** Parts (raw, quarantine) not yet in a published object. */
  pendingParts: number;
  objects: string[];
}

export interface ReceiptBookOptions {
  /** The receipts index directory. */
  dir: string;
  /** Where the lake's objects live, to tell an indexed object that became visible from one that did not. */
  lakeRoot: string;
  retentionMs: number;
  /** Completed receipts kept in memory; older ones are read back from the receipts index. */
  maxInMemory: number;
  tracker: LoadTracker;
  target: LoadTarget;
  now: () => number;
  logger: Logger;
}

const receiptKey = (tenant: string, stream: string, batchId: string) =>
  `${tenant}\u0000${stream}\u0000${batchId}`;

/**
 * Batch receipts: in memory while a batch is buffered and for the most recent completed ones, in the
 * receipts index (written before each object becomes visible) for the rest of the retention.
 */
export class ReceiptBook {
  private readonly receipts = new Map<string, ReceiptState>();
  private readonly index: ReceiptIndex;

  constructor(private readonly opts: ReceiptBookOptions) {
    this.index = new ReceiptIndex(opts.dir, opts.retentionMs, opts.now, opts.logger);
  }

  init(): Promise<void> {
    return this.index.init();
  }

  close(): Promise<void> {
    return this.index.close();
  }

  /** A logged batch: `pendingParts` of it still to publish, and the objects already holding the rest. */
  open(entry: LogEntry, pendingParts: number, objects: string[] = []): void {
    this.receipts.set(receiptKey(entry.tenant, entry.stream, entry.batchId), {
      tenant: entry.tenant,
      batchId: entry.batchId,
      receivedAt: entry.receivedAt,
      accepted: entry.recordCount,
      rejected: entry.rejectCount,
      pendingParts,
      objects,
    });
  }

  /** Writes (and syncs) index lines for an object about to become visible. */
  indexLines(lines: ReceiptLine[]): Promise<void> {
    return this.index.append(lines);
  }

  /** One part of the batch is in `objectKey` now. */
  partPublished(tenant: string, stream: string, batchId: string, objectKey: string): void {
    const r = this.receipts.get(receiptKey(tenant, stream, batchId));
    if (r) {
      r.objects.push(objectKey);
      r.pendingParts--;
    }
  }

  /** Drops the oldest completed receipts from memory; the receipts index still has them. */
  evict(): void {
    const max = this.opts.maxInMemory;
    if (this.receipts.size <= max) return;
    let budget = 64;
    for (const [k, r] of this.receipts) {
      if (this.receipts.size <= max || budget-- === 0) break;
      if (r.pendingParts === 0) this.receipts.delete(k);
    }
  }

  async receipt(tenant: string, stream: string, batchId: string): Promise<BatchReceipt | undefined> {
    const { tracker, target, logger } = this.opts;
    let r = this.receipts.get(receiptKey(tenant, stream, batchId));
    if (!r) r = await this.fromIndex(tenant, stream, batchId);
    if (!r) return undefined;
    const base = {
      batchId: r.batchId,
      receivedAt: r.receivedAt,
      accepted: r.accepted,
      rejected: r.rejected,
      objects: [...r.objects],
    };
    if (r.pendingParts > 0) return { ...base, state: 'buffered' };
    const times = new Map<string, string>();
    const failures = new Map<string, Record<string, number>>();
    const unknown: string[] = [];
    for (const k of r.objects) {
      const t = tracker.loadedTime(k);
      if (t) {
        times.set(k, t);
        const f = tracker.salvaged(k);
        if (f) failures.set(k, f);
      } else if (!tracker.isPending(k)) unknown.push(k);
    }
    if (unknown.length > 0) {
      try {
        for (const [k, t] of await target.loadedAt(tenant, unknown)) times.set(k, t);
        const known =
          (await target.loadFailures?.(tenant, unknown)) ?? new Map<string, Record<string, number>>();
        for (const [k, f] of known) failures.set(k, f);
      } catch (err) {
        logger.warn({ err }, 'could not read load times for a receipt');
      }
    }
    if (times.size < r.objects.length) return { ...base, state: 'delivered' };
    let loadedAt = r.objects.length === 0 ? r.receivedAt : '';
    for (const t of times.values()) if (t > loadedAt) loadedAt = t;
    let loadFailed = 0;
    for (const f of failures.values()) loadFailed += f[batchId] ?? 0;
    return { ...base, state: 'loaded', loadedAt, loadFailed };
  }

  private async fromIndex(
    tenant: string,
    stream: string,
    batchId: string,
  ): Promise<ReceiptState | undefined> {
    const lines = await this.index.find(tenant, stream, batchId);
    const keys = new Set<string>();
    for (const l of lines) {
      // A line whose object never became visible (crash before the rename) is ignored.
      if (keys.has(l.k)) continue;
      const exists = await fs.access(path.join(this.opts.lakeRoot, l.k)).then(
        () => true,
        () => false,
      );
      if (exists) keys.add(l.k);
    }
    if (keys.size === 0) return undefined;
    const l = lines[0];
    return {
      tenant,
      batchId,
      receivedAt: l.at,
      accepted: l.a,
      rejected: l.r,
      pendingParts: 0,
      objects: [...keys],
    };
  }
}
