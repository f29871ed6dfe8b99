import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { DependencyUnavailableError, OverloadedError } from '../../domain/errors.js';
import type { BatchReceipt, ObjectKind } from '../../domain/records/types.js';
import type { Stream } from '../../domain/streams/types.js';
import type {
  Delivery,
  DeliveryStatus,
  IngestBatch,
  LakeObject,
  LoadedObject,
  LoadTarget,
  Metrics,
} from '../../ports.js';
import { encodeEntry, type LogEntry } from './frame.js';
import { Lake, type ListedObject } from './lake.js';
import { Loader } from './loader.js';
import { WriteAheadLog, type LogFs } from './log.js';
import { ReceiptIndex, type ReceiptLine } from './receipts.js';

const MiB = 1024 * 1024;

/** Every tunable of local delivery, resolved once by the composition root (no defaults here). */
export interface LocalDeliverySettings {
  /** Acknowledged bytes not yet published above which append answers OverloadedError. */
  highWatermarkBytes: number;
  /**
   * Published bytes not yet loaded above which append answers OverloadedError: when the loader falls
   * behind, producers are told to back off instead of the backlog (and freshness) growing without bound.
   */
  maxUnloadedBytes: number;
  /** Bytes / entries waiting for the next group commit above which append answers OverloadedError. */
  maxQueueBytes: number;
  maxQueueEntries: number;
  /** How long an ingest request may wait (before its body is read) for buffers or the loader to catch up. */
  admitWaitMs: number;
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
  getStream(tenant: string, name: string): Promise<Stream | undefined>;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  logFs: LogFs;
}

export type LocalDeliveryOptions = LocalDeliveryDeps & LocalDeliverySettings;

/** Records acknowledged and not yet loaded: one per open buffer, publish in flight, or unloaded object. */
interface Unit {
  minReceivedAt: string;
  records: number;
}

interface StreamState {
  pending: Set<Unit>;
  lastDeliveredAt?: string;
  lastLoadedAt?: string;
  lastLoadError?: { at: string; message: string; object?: string };
}

interface Part {
  lsn: number;
  segment: number;
  batchId: string;
  receivedAt: string;
  accepted: number;
  rejected: number;
  chunk: Buffer;
}

interface OpenBuffer {
  kind: ObjectKind;
  tenant: string;
  stream: string;
  parts: Part[];
  bytes: number;
  records: number;
  unit: Unit;
  timer?: NodeJS.Timeout;
}

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

interface Range {
  first: number;
  last: number;
  key: string;
}

const bufferKey = (kind: ObjectKind, tenant: string, stream: string) =>
  `${kind}\u0000${tenant}\u0000${stream}`;
const streamKey = (tenant: string, stream: string) => `${tenant}\u0000${stream}`;
const receiptKey = (tenant: string, stream: string, batchId: string) =>
  `${tenant}\u0000${stream}\u0000${batchId}`;

/**
 * Local delivery: a group-committed write-ahead log, Firehose-style buffering into lake objects, and
 * a Snowpipe-style loader into the warehouse. Every published object's name carries the log range it
 * covers, so the lake itself is the checkpoint: recovery replays only what no object holds yet.
 */
export class LocalDelivery implements Delivery {
  private readonly now: () => number;
  private readonly wal: WriteAheadLog;
  private readonly lake: Lake;
  private readonly receiptIndex: ReceiptIndex;
  private readonly loader: Loader;
  private readonly buffers = new Map<string, OpenBuffer>();
  private readonly streams = new Map<string, StreamState>();
  private readonly receipts = new Map<string, ReceiptState>();
  private readonly loadedAt = new Map<string, string>();
  /** Lines quarantined per batch id by the loader, for objects it salvaged (bounded like loadedAt). */
  private readonly loadFailures = new Map<string, Record<string, number>>();
  /** Published, not yet loaded objects and the records they hold. */
  private readonly objectUnits = new Map<string, { unit: Unit; streamKey: string; bytes: number }>();
  private unloadedBytes = 0;
  private readonly publishing = new Set<Promise<void>>();
  private readonly appending = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private readonly admitWaiters = new Set<() => void>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private nextLsn = 1;
  private unpublishedBytes = 0;
  private started = false;
  /** Appends are taken only once recovery has fixed the next log position. */
  private accepting = false;
  /** While recovery re-buffers the log: no timers or flushes until every entry is accounted for. */
  private replaying = false;
  private closed = false;

  constructor(private readonly opts: LocalDeliveryOptions) {
    this.now = opts.now;
    this.wal = new WriteAheadLog({
      dir: path.join(opts.dataDir, 'log'),
      segmentBytes: opts.segmentBytes,
      fs: opts.logFs,
      logger: opts.logger,
    });
    this.lake = new Lake(path.join(opts.dataDir, 'lake'), path.join(opts.dataDir, 'tmp'));
    this.receiptIndex = new ReceiptIndex(
      path.join(opts.dataDir, 'receipts'),
      opts.receiptRetentionMs,
      this.now,
      opts.logger,
    );
    this.loader = new Loader({
      target: opts.target,
      getStream: opts.getStream,
      metrics: opts.metrics,
      logger: opts.logger,
      now: this.now,
      concurrency: opts.loadConcurrency,
      retryBaseMs: opts.retryBaseMs,
      retryMaxMs: opts.retryMaxMs,
      onLoaded: (obj, at, result) => this.onLoaded(obj, at, result),
      onError: (obj, at, message) => {
        this.streamState(obj.tenant, obj.stream).lastLoadError = { at, message, object: obj.key };
      },
    });
  }

  /** Recovery: replays what no lake object holds yet, publishes it, then queues every unloaded object. */
  async start(): Promise<void> {
    if (this.started) throw new Error('LocalDelivery already started');
    this.started = true;
    await this.lake.init();
    await this.receiptIndex.init();
    const listed = await this.lake.list();
    const coverage = new Map<string, Range[]>();
    let maxLsn = 0;
    for (const o of listed) {
      const k = bufferKey(o.kind, o.tenant, o.stream);
      let ranges = coverage.get(k);
      if (!ranges) coverage.set(k, (ranges = []));
      ranges.push({ first: o.firstLsn, last: o.lastLsn, key: o.key });
      maxLsn = Math.max(maxLsn, o.lastLsn);
    }
    for (const ranges of coverage.values()) ranges.sort((a, b) => a.first - b.first);

    const recovered = await this.wal.recover();
    maxLsn = Math.max(maxLsn, recovered.maxLsn);
    this.nextLsn = maxLsn + 1;
    let replayed = 0;
    this.replaying = true;
    try {
      for (const seg of recovered.segments) {
        for (const entry of seg.entries) replayed += this.replay(entry, seg.id, coverage);
      }
    } finally {
      this.replaying = false;
    }
    await this.wal.openActive(this.nextLsn);
    this.wal.sweep();
    if (replayed > 0) this.opts.logger.info({ parts: replayed }, 'replaying unpublished log entries');
    this.flushAll();
    await this.settlePublishing();
    await this.refresh(listed);
    this.accepting = !this.closed;
  }

  /** Re-buffers the parts of a logged entry that no published object covers. Returns parts replayed. */
  private replay(entry: LogEntry, segment: number, coverage: Map<string, Range[]>): number {
    const r: ReceiptState = {
      tenant: entry.tenant,
      batchId: entry.batchId,
      receivedAt: entry.receivedAt,
      accepted: entry.recordCount,
      rejected: entry.rejectCount,
      pendingParts: 0,
      objects: [],
    };
    const parts: ObjectKind[] = [];
    for (const kind of ['raw', 'quarantine'] as const) {
      if ((kind === 'raw' ? entry.recordCount : entry.rejectCount) === 0) continue;
      const covering = findRange(coverage.get(bufferKey(kind, entry.tenant, entry.stream)), entry.lsn);
      if (covering) r.objects.push(covering.key);
      else parts.push(kind);
    }
    r.pendingParts = parts.length;
    this.receipts.set(receiptKey(entry.tenant, entry.stream, entry.batchId), r);
    this.nextLsn = Math.max(this.nextLsn, entry.lsn + 1);
    if (parts.length === 0) return 0;
    this.wal.hold(segment, parts.length);
    for (const kind of parts) this.buffer(kind, entry, segment);
    return parts.length;
  }

  /**
   * Queues every lake object of the tenant that its (new, empty) warehouse database has not loaded:
   * called when the database file was created again after being removed or found corrupt.
   */
  async refreshTenant(tenant: string): Promise<void> {
    if (!this.started || this.closed) return;
    const listed = (await this.lake.list()).filter((o) => o.tenant === tenant);
    if (listed.length === 0) return;
    this.opts.logger.warn(
      { tenant, objects: listed.length },
      'the tenant database was created anew; loading again every lake object it lacks',
    );
    await this.refresh(listed, false);
  }

  /**
   * Start-up refresh (ALTER PIPE ... REFRESH): queues every listed object the target has not loaded.
   * Retried in the background when the target cannot answer. `trustMemory` skips objects this
   * process saw loaded, which is right unless the target lost them (a new database file).
   */
  private async refresh(listed: ListedObject[], trustMemory = true): Promise<void> {
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
        loaded = await this.opts.target.loadedKeys(tenant);
      } catch (err) {
        this.opts.logger.warn({ err, tenant }, 'could not read the load history; will retry the refresh');
        failed.push(...objects);
        continue;
      }
      for (const o of objects) {
        if (loaded.has(o.key) || (trustMemory && this.loadedAt.has(o.key)) || this.objectUnits.has(o.key))
          continue;
        let info: { records: number; firstReceivedAt?: string };
        try {
          info = await this.lake.inspect(o);
        } catch (err) {
          this.opts.logger.error({ err, object: o.key }, 'could not read a lake object');
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
          minReceivedAt: info.firstReceivedAt ?? new Date(this.now()).toISOString(),
          records: info.records,
        };
        this.track(obj, unit);
        this.loader.notify(obj);
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

  append(batch: IngestBatch): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    const { frame, entry } = encodeEntry(this.nextLsn++, batch);
    const p = this.wal.append(entry.lsn, frame, (segment) => this.onDurable(entry, segment));
    this.appending.add(p);
    void p.catch(() => undefined).finally(() => this.appending.delete(p));
    return p;
  }

  /**
   * Waits up to `admitWaitMs` for the buffers or the loader to drop below their limits (woken by
   * every publish and load), then answers like `append` would. Waiting callers are bounded by the
   * ingest in-flight limit, so this is a short, bounded queue, not an unbounded one.
   */
  async admit(): Promise<void> {
    const deadline = this.now() + this.opts.admitWaitMs;
    for (;;) {
      const refusal = this.refusal();
      if (!refusal) return;
      const left = deadline - this.now();
      if (!(refusal instanceof OverloadedError) || left <= 0) throw refusal;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.admitWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.admitWaiters.add(wake);
      });
    }
  }

  /** Why a batch would be refused right now, if it would. */
  private refusal(): Error | undefined {
    if (!this.accepting || this.closed) return new DependencyUnavailableError('delivery is not running');
    const waiting = this.unpublishedBytes + this.wal.queuedBytes;
    if (waiting >= this.opts.highWatermarkBytes)
      return new OverloadedError(`delivery buffers are full (${waiting} bytes not yet delivered)`, 1);
    if (this.unloadedBytes >= this.opts.maxUnloadedBytes)
      return new OverloadedError(`the loader is behind (${this.unloadedBytes} bytes not yet loaded)`, 1);
    if (
      this.wal.queuedBytes >= this.opts.maxQueueBytes ||
      this.wal.queuedEntries >= this.opts.maxQueueEntries
    )
      return new OverloadedError('the delivery log is behind', 1);
    return undefined;
  }

  private wakeAdmitted(): void {
    for (const wake of [...this.admitWaiters]) wake();
  }

  private onDurable(entry: LogEntry, segment: number): void {
    const parts = (entry.recordCount > 0 ? 1 : 0) + (entry.rejectCount > 0 ? 1 : 0);
    this.receipts.set(receiptKey(entry.tenant, entry.stream, entry.batchId), {
      tenant: entry.tenant,
      batchId: entry.batchId,
      receivedAt: entry.receivedAt,
      accepted: entry.recordCount,
      rejected: entry.rejectCount,
      pendingParts: parts,
      objects: [],
    });
    this.evictReceipts();
    if (parts === 0) return;
    this.wal.hold(segment, parts);
    if (entry.recordCount > 0) this.buffer('raw', entry, segment);
    if (entry.rejectCount > 0) this.buffer('quarantine', entry, segment);
  }

  private buffer(kind: ObjectKind, entry: LogEntry, segment: number): void {
    const key = bufferKey(kind, entry.tenant, entry.stream);
    let buf = this.buffers.get(key);
    if (!buf) {
      const unit: Unit = { minReceivedAt: entry.receivedAt, records: 0 };
      buf = { kind, tenant: entry.tenant, stream: entry.stream, parts: [], bytes: 0, records: 0, unit };
      this.buffers.set(key, buf);
      this.streamState(entry.tenant, entry.stream).pending.add(unit);
      const b = buf;
      if (!this.replaying && !this.closed) {
        b.timer = setTimeout(() => this.flush(b), Math.max(0, entry.buffering.intervalSeconds * 1000));
      }
    }
    const chunk = kind === 'raw' ? entry.records : entry.rejects;
    const count = kind === 'raw' ? entry.recordCount : entry.rejectCount;
    buf.parts.push({
      lsn: entry.lsn,
      segment,
      batchId: entry.batchId,
      receivedAt: entry.receivedAt,
      accepted: entry.recordCount,
      rejected: entry.rejectCount,
      chunk,
    });
    buf.bytes += chunk.length;
    buf.records += count;
    buf.unit.records += count;
    if (entry.receivedAt < buf.unit.minReceivedAt) buf.unit.minReceivedAt = entry.receivedAt;
    this.unpublishedBytes += chunk.length;
    if (buf.bytes >= entry.buffering.sizeMiB * MiB && !this.replaying && !this.closed) this.flush(buf);
  }

  private flushAll(): void {
    for (const buf of [...this.buffers.values()]) this.flush(buf);
  }

  private flush(buf: OpenBuffer): void {
    const key = bufferKey(buf.kind, buf.tenant, buf.stream);
    if (this.buffers.get(key) !== buf) return;
    this.buffers.delete(key);
    if (buf.timer) clearTimeout(buf.timer);
    const p = this.publish(buf).finally(() => this.publishing.delete(p));
    this.publishing.add(p);
  }

  /**
   * Publishes one buffer as one object, retrying until it succeeds or the engine closes (the entries
   * stay in the log, so a later start publishes them). Retries reuse the same key: if an earlier
   * attempt got as far as the rename, the retry rewrites the same object rather than adding a copy.
   */
  private async publish(buf: OpenBuffer): Promise<void> {
    const at = new Date(this.now());
    const lines: ReceiptLine[] = buf.parts.map((p) => ({
      k: '',
      t: buf.tenant,
      s: buf.stream,
      b: p.batchId,
      at: p.receivedAt,
      a: p.accepted,
      r: p.rejected,
    }));
    for (let attempt = 1; ; attempt++) {
      if (this.closed) return;
      try {
        const obj = await this.lake.publish(
          {
            kind: buf.kind,
            tenant: buf.tenant,
            stream: buf.stream,
            firstLsn: buf.parts[0].lsn,
            lastLsn: buf.parts[buf.parts.length - 1].lsn,
            records: buf.records,
            at,
            gzip: this.opts.gzip,
            chunks: buf.parts.map((p) => p.chunk),
          },
          (o) => this.receiptIndex.append(lines.map((l) => ({ ...l, k: o.key }))),
        );
        this.onPublished(buf, obj, at);
        return;
      } catch (err) {
        const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempt - 1));
        this.opts.logger.error(
          { err, tenant: buf.tenant, stream: buf.stream, attempt, retryInMs: delay },
          'publishing a lake object failed',
        );
        await this.sleep(delay);
      }
    }
  }

  private onPublished(buf: OpenBuffer, obj: LakeObject, at: Date): void {
    this.unpublishedBytes -= buf.bytes;
    const segments = new Map<number, number>();
    for (const p of buf.parts) {
      segments.set(p.segment, (segments.get(p.segment) ?? 0) + 1);
      const r = this.receipts.get(receiptKey(buf.tenant, buf.stream, p.batchId));
      if (r) {
        r.objects.push(obj.key);
        r.pendingParts--;
      }
    }
    for (const [segment, n] of segments) this.wal.release(segment, n);
    this.streamState(buf.tenant, buf.stream).lastDeliveredAt = at.toISOString();
    this.opts.metrics.add(buf.tenant, buf.stream, { deliveredObjects: 1, deliveredBytes: obj.bytes });
    this.objectUnits.set(obj.key, {
      unit: buf.unit,
      streamKey: streamKey(buf.tenant, buf.stream),
      bytes: obj.bytes,
    });
    this.unloadedBytes += obj.bytes;
    // After close the notification is dropped; the next start's refresh finds the object.
    if (!this.closed) this.loader.notify(obj);
    this.wakeAdmitted();
  }

  /** Tracks an object found at start-up as pending until it is loaded. */
  private track(obj: LakeObject, unit: Unit): void {
    this.streamState(obj.tenant, obj.stream).pending.add(unit);
    this.objectUnits.set(obj.key, { unit, streamKey: streamKey(obj.tenant, obj.stream), bytes: obj.bytes });
    this.unloadedBytes += obj.bytes;
  }

  private onLoaded(obj: LakeObject, at: string, result?: LoadedObject): void {
    const max = this.opts.maxReceiptsInMemory;
    this.loadedAt.set(obj.key, at);
    if (this.loadedAt.size > max) this.loadedAt.delete(this.loadedAt.keys().next().value!);
    if (result?.failedBatches && Object.keys(result.failedBatches).length > 0) {
      this.loadFailures.set(obj.key, result.failedBatches);
      if (this.loadFailures.size > max) this.loadFailures.delete(this.loadFailures.keys().next().value!);
    }
    const st = this.streamState(obj.tenant, obj.stream);
    st.lastLoadedAt = at;
    const u = this.objectUnits.get(obj.key);
    if (u) {
      this.streams.get(u.streamKey)?.pending.delete(u.unit);
      this.objectUnits.delete(obj.key);
      this.unloadedBytes -= u.bytes;
    }
    this.wakeAdmitted();
  }

  private streamState(tenant: string, stream: string): StreamState {
    const k = streamKey(tenant, stream);
    let st = this.streams.get(k);
    if (!st) this.streams.set(k, (st = { pending: new Set() }));
    return st;
  }

  /** Drops the oldest completed receipts from memory; the receipts index still has them. */
  private evictReceipts(): void {
    const max = this.opts.maxReceiptsInMemory;
    if (this.receipts.size <= max) return;
    let budget = 64;
    for (const [k, r] of this.receipts) {
      if (this.receipts.size <= max || budget-- === 0) break;
      if (r.pendingParts === 0) this.receipts.delete(k);
    }
  }

  async receipt(tenant: string, stream: string, batchId: string): Promise<BatchReceipt | undefined> {
    let r = this.receipts.get(receiptKey(tenant, stream, batchId));
    if (!r) r = await this.receiptFromIndex(tenant, stream, batchId);
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
      const t = this.loadedAt.get(k);
      if (t) {
        times.set(k, t);
        const f = this.loadFailures.get(k);
        if (f) failures.set(k, f);
      } else if (!this.objectUnits.has(k)) unknown.push(k);
    }
    if (unknown.length > 0) {
      try {
        for (const [k, t] of await this.opts.target.loadedAt(tenant, unknown)) times.set(k, t);
        const known = (await this.opts.target.loadFailures?.(tenant, unknown)) ?? new Map();
        for (const [k, f] of known) failures.set(k, f);
      } catch (err) {
        this.opts.logger.warn({ err }, 'could not read load times for a receipt');
      }
    }
    if (times.size < r.objects.length) return { ...base, state: 'delivered' };
    let loadedAt = r.objects.length === 0 ? r.receivedAt : '';
    for (const t of times.values()) if (t > loadedAt) loadedAt = t;
    let loadFailed = 0;
    for (const f of failures.values()) loadFailed += f[batchId] ?? 0;
    return { ...base, state: 'loaded', loadedAt, loadFailed };
  }

  private async receiptFromIndex(
    tenant: string,
    stream: string,
    batchId: string,
  ): Promise<ReceiptState | undefined> {
    const lines = await this.receiptIndex.find(tenant, stream, batchId);
    const keys = new Set<string>();
    for (const l of lines) {
      // A line whose object never became visible (crash before the rename) is ignored.
      if (keys.has(l.k)) continue;
      const exists = await fs.access(path.join(this.lake.root, l.k)).then(
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

  async status(tenant: string, stream: string): Promise<DeliveryStatus> {
    const loadFailure = this.loader.failure(tenant, stream);
    const st = this.streams.get(streamKey(tenant, stream));
    if (!st) return { pendingRecords: 0, ...(loadFailure ? { loadFailure } : {}) };
    let oldest: string | undefined;
    let pendingRecords = 0;
    for (const u of st.pending) {
      pendingRecords += u.records;
      if (oldest === undefined || u.minReceivedAt < oldest) oldest = u.minReceivedAt;
    }
    return {
      oldestUnloadedAt: oldest,
      pendingRecords,
      lastDeliveredAt: st.lastDeliveredAt,
      lastLoadedAt: st.lastLoadedAt,
      lastLoadError: st.lastLoadError,
      ...(loadFailure ? { loadFailure } : {}),
    };
  }

  async backlog(): Promise<Array<{ tenant: string; stream: string } & DeliveryStatus>> {
    const out: Array<{ tenant: string; stream: string } & DeliveryStatus> = [];
    for (const [k, st] of this.streams) {
      const [tenant, stream] = k.split('\u0000');
      if (st.pending.size === 0 && !this.loader.failure(tenant, stream)) continue;
      out.push({ tenant, stream, ...(await this.status(tenant, stream)) });
    }
    return out;
  }

  pressure(): { ok: boolean; detail: string } {
    const waiting = this.unpublishedBytes + this.wal.queuedBytes;
    const maxUnloaded = this.opts.maxUnloadedBytes;
    const ok = waiting < this.opts.highWatermarkBytes && this.unloadedBytes < maxUnloaded;
    return {
      ok,
      detail: `${waiting} of ${this.opts.highWatermarkBytes} bytes awaiting delivery; ${this.unloadedBytes} of ${maxUnloaded} bytes (${this.loader.pending} objects) awaiting load`,
    };
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
              `drain timed out after ${timeoutMs} ms (${this.buffers.size + this.publishing.size} buffers unpublished, ${this.loader.pending} objects unloaded)`,
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

  private async drainSteps(): Promise<void> {
    while (this.appending.size > 0) await Promise.allSettled([...this.appending]);
    this.flushAll();
    await this.settlePublishing();
    await this.loader.whenIdle();
  }

  private async settlePublishing(): Promise<void> {
    while (this.publishing.size > 0) await Promise.all([...this.publishing]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** Stops timers and closes files without flushing; whatever is buffered is replayed on the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const buf of this.buffers.values()) if (buf.timer) clearTimeout(buf.timer);
    for (const wake of [...this.sleepers]) wake();
    this.wakeAdmitted();
    await this.wal.close();
    await this.settlePublishing();
    await this.loader.close();
    await this.receiptIndex.close();
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
