import path from 'node:path';
import type { Logger } from 'pino';
import { DependencyUnavailableError } from '../../domain/errors.js';
import type { BatchReceipt, ObjectKind } from '../../domain/records/types.js';
import type { Stream } from '../../domain/streams/types.js';
import type { BatchClaim, Delivery, DeliveryStatus, IngestBatch, LoadTarget, Metrics } from '../../ports.js';
import { Admission, type AdmissionLimits } from './admission.js';
import { encodeEntry, type LogEntry } from './frame.js';
import { Lake } from './lake.js';
import { LoadTracker } from './load-tracker.js';
import { Loader } from './loader.js';
import { WriteAheadLog, type LogFs } from './log.js';
import { Publisher } from './publisher.js';
import { ReceiptBook } from './receipt-book.js';
import { Recovery } from './recovery.js';

/** Every tunable of local delivery, resolved once by the composition root (no defaults here). */
export interface LocalDeliverySettings extends AdmissionLimits {
  gzip: boolean;
  /** Size at which the active log segment is sealed. */
  segmentBytes: number;
  drainTimeoutMs: number;
  loadConcurrency: number;
  /** Backoff of publish and load retries: base doubled per attempt, capped at max. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Wait before retrying a start-up refresh that could not read the load history. */
  refreshRetryMs: number;
  receiptRetentionMs: number;
  /** Completed receipts (and load times) kept in memory; older ones are read back from disk. */
  maxReceiptsInMemory: number;
}

/** The engines and seams local delivery runs on. */
export interface LocalDeliveryDeps {
  /** Log under dataDir/log, lake under dataDir/lake. */
  dataDir: string;
  target: LoadTarget;
  getStream: (tenant: string, name: string) => Promise<Stream | undefined>;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  logFs: LogFs;
  /**
   * The idempotency store whose claims ride in the log's entries (IngestBatch.claim): given back the
   * logged claims at recovery, and synced before a segment holding them is deleted.
   */
  claims?: ClaimKeeper;
}

export interface ClaimKeeper {
  restore(tenant: string, stream: string, claim: BatchClaim, batchId: string): void;
  sync(): Promise<void>;
}

export type LocalDeliveryOptions = LocalDeliveryDeps & LocalDeliverySettings;

/**
 * Local delivery: a group-committed write-ahead log, Firehose-style buffering into lake objects, and
 * a Snowpipe-style loader into the warehouse. Every published object's name carries the log range it
 * covers, so the lake itself is the checkpoint: recovery replays only what no object holds yet.
 * This class wires the parts and keeps the append path; each part lives in its own file.
 */
export class LocalDelivery implements Delivery {
  private readonly wal: WriteAheadLog;
  private readonly loader: Loader;
  private readonly tracker: LoadTracker;
  private readonly admission: Admission;
  private readonly receipts: ReceiptBook;
  private readonly publisher: Publisher;
  private readonly recovery: Recovery;
  private readonly appending = new Set<Promise<void>>();
  private nextLsn = 1;
  private closed = false;

  constructor(private readonly opts: LocalDeliveryOptions) {
    const { dataDir, target, metrics, logger, now } = opts;
    this.wal = new WriteAheadLog({
      dir: path.join(dataDir, 'log'),
      segmentBytes: opts.segmentBytes,
      fs: opts.logFs,
      logger,
      beforeDelete: opts.claims ? () => opts.claims!.sync() : undefined,
    });
    const lake = new Lake(path.join(dataDir, 'lake'), path.join(dataDir, 'tmp'));
    this.tracker = new LoadTracker(opts.maxReceiptsInMemory);
    this.loader = new Loader({
      target,
      getStream: opts.getStream,
      metrics,
      logger,
      now,
      concurrency: opts.loadConcurrency,
      retryBaseMs: opts.retryBaseMs,
      retryMaxMs: opts.retryMaxMs,
      onLoaded: (obj, at, result) => this.admission.loaded(this.tracker.loaded(obj, at, result)),
      onError: (obj, at, message) => this.tracker.loadError(obj, at, message),
    });
    this.admission = new Admission({
      limits: opts, // the settings include every admission limit
      now,
      queue: this.wal,
      objectsAwaitingLoad: () => this.loader.pending,
    });
    this.receipts = new ReceiptBook({
      dir: path.join(dataDir, 'receipts'),
      lakeRoot: lake.root,
      retentionMs: opts.receiptRetentionMs,
      maxInMemory: opts.maxReceiptsInMemory,
      tracker: this.tracker,
      target,
      now,
      logger,
    });
    // The parts both the publisher and recovery work on.
    const shared = {
      wal: this.wal,
      lake,
      receipts: this.receipts,
      tracker: this.tracker,
      admission: this.admission,
      loader: this.loader,
      logger,
      now,
    };
    this.publisher = new Publisher({
      ...shared,
      metrics,
      gzip: opts.gzip,
      retryBaseMs: opts.retryBaseMs,
      retryMaxMs: opts.retryMaxMs,
    });
    this.recovery = new Recovery({
      ...shared,
      publisher: this.publisher,
      target,
      refreshRetryMs: opts.refreshRetryMs,
      restoreClaim: opts.claims
        ? (e) => opts.claims!.restore(e.tenant, e.stream, e.claim!, e.batchId)
        : undefined,
    });
  }

  /** Recovery: replays what no lake object holds yet, publishes it, then queues every unloaded object. */
  async start(): Promise<void> {
    this.nextLsn = await this.recovery.run();
    this.admission.open();
  }

  /**
   * Queues every lake object of the tenant that its (new, empty) warehouse database has not loaded:
   * called when the database file was created again after being removed or found corrupt.
   */
  refreshTenant(tenant: string): Promise<void> {
    return this.recovery.refreshTenant(tenant);
  }

  append(batch: IngestBatch): Promise<void> {
    const refusal = this.admission.refusal();
    if (refusal) return Promise.reject(refusal);
    const { frame, entry } = encodeEntry(this.nextLsn++, batch);
    const p = this.wal.append(entry.lsn, frame, (segment) => this.onDurable(entry, segment));
    this.appending.add(p);
    void p.catch(() => undefined).finally(() => this.appending.delete(p));
    return p;
  }

  /** Waits briefly for buffers or the loader to catch up, then answers like `append` would. */
  admit(): Promise<void> {
    return this.admission.admit();
  }

  receipt(tenant: string, stream: string, batchId: string): Promise<BatchReceipt | undefined> {
    return this.receipts.receipt(tenant, stream, batchId);
  }

  status(tenant: string, stream: string): Promise<DeliveryStatus> {
    return Promise.resolve(this.tracker.status(tenant, stream, this.loader.failure(tenant, stream)));
  }

  async backlog(): Promise<Array<{ tenant: string; stream: string } & DeliveryStatus>> {
    const out: Array<{ tenant: string; stream: string } & DeliveryStatus> = [];
    for (const { tenant, stream, pending } of this.tracker.streamsSeen()) {
      if (!pending && !this.loader.failure(tenant, stream)) continue;
      out.push({ tenant, stream, ...(await this.status(tenant, stream)) });
    }
    return out;
  }

  pressure(): { ok: boolean; detail: string } {
    return this.admission.pressure();
  }

  /** Flushes every buffer now and waits until everything acknowledged is published and loaded. */
  async drain(): Promise<void> {
    const timeoutMs = this.opts.drainTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DependencyUnavailableError(
              `drain timed out after ${timeoutMs} ms (${this.publisher.unpublishedCount} buffers unpublished, ${this.loader.pending} objects unloaded)`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.drainSteps(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops timers and closes files without flushing; whatever is buffered is replayed on the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.recovery.close();
    this.publisher.close();
    this.admission.close();
    await this.wal.close();
    await this.publisher.settle();
    await this.loader.close();
    await this.receipts.close();
  }

  private onDurable(entry: LogEntry, segment: number): void {
    const kinds: ObjectKind[] = [];
    if (entry.recordCount > 0) kinds.push('raw');
    if (entry.rejectCount > 0) kinds.push('quarantine');
    this.receipts.open(entry, kinds.length);
    this.receipts.evict();
    this.publisher.take(entry, segment, kinds);
  }

  private async drainSteps(): Promise<void> {
    while (this.appending.size > 0) await Promise.allSettled([...this.appending]);
    this.publisher.flushAll();
    await this.publisher.settle();
    await this.loader.whenIdle();
  }
}
