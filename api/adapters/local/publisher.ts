import type { Logger } from 'pino';
import type { ObjectKind } from '../../domain/records/types.js';
import type { LakeObject, Metrics } from '../../ports.js';
import type { Admission } from './admission.js';
import type { LogEntry } from './frame.js';
import type { Lake } from './lake.js';
import type { LoadTracker, Unit } from './load-tracker.js';
import type { Loader } from './loader.js';
import type { WriteAheadLog } from './log.js';
import type { ReceiptBook } from './receipt-book.js';
import type { ReceiptLine } from './receipts.js';

const MiB = 1024 * 1024;

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

export interface PublisherOptions {
  wal: WriteAheadLog;
  lake: Lake;
  receipts: ReceiptBook;
  tracker: LoadTracker;
  admission: Admission;
  loader: Loader;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  gzip: boolean;
  retryBaseMs: number;
  retryMaxMs: number;
}

/** One buffer per kind and stream; the lake's coverage of the log is keyed the same way. */
export const bufferKey = (kind: ObjectKind, tenant: string, stream: string) =>
  `${kind}\u0000${tenant}\u0000${stream}`;

/**
 * Firehose-style buffering: logged entries are buffered per kind and stream and published as one
 * lake object when the stream's buffering interval or size is reached. Each part holds its log
 * segment until its object is published; the object is then handed to the loader.
 */
export class Publisher {
  private readonly buffers = new Map<string, OpenBuffer>();
  private readonly publishing = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  /** While recovery re-buffers the log: no timers or flushes until every entry is accounted for. */
  private replaying = false;
  private closed = false;

  constructor(private readonly opts: PublisherOptions) {}

  /** Buffers without timers or size flushes until `endReplay`, which leaves the flush to the caller. */
  beginReplay(): void {
    this.replaying = true;
  }

  endReplay(): void {
    this.replaying = false;
  }

  /** Buffers the given parts of a durable entry, holding its segment until each is published. */
  take(entry: LogEntry, segment: number, kinds: ObjectKind[]): void {
    if (kinds.length === 0) return;
    this.opts.wal.hold(segment, kinds.length);
    for (const kind of kinds) this.buffer(kind, entry, segment);
  }

  /** Buffers and publishes in flight. */
  get unpublishedCount(): number {
    return this.buffers.size + this.publishing.size;
  }

  flushAll(): void {
    for (const buf of [...this.buffers.values()]) this.flush(buf);
  }

  /** Waits until no publish is in flight. */
  async settle(): Promise<void> {
    while (this.publishing.size > 0) await Promise.all([...this.publishing]);
  }

  /** Stops timers and retries without flushing: what is buffered stays in the log for the next start. */
  close(): void {
    this.closed = true;
    for (const buf of this.buffers.values()) if (buf.timer) clearTimeout(buf.timer);
    for (const wake of [...this.sleepers]) wake();
  }

  private buffer(kind: ObjectKind, entry: LogEntry, segment: number): void {
    const key = bufferKey(kind, entry.tenant, entry.stream);
    let buf = this.buffers.get(key);
    if (!buf) {
      const unit = this.opts.tracker.openUnit(entry.tenant, entry.stream, entry.receivedAt);
      buf = { kind, tenant: entry.tenant, stream: entry.stream, parts: [], bytes: 0, records: 0, unit };
      this.buffers.set(key, buf);
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
    this.opts.admission.buffered(chunk.length);
    if (buf.bytes >= entry.buffering.sizeMiB * MiB && !this.replaying && !this.closed) this.flush(buf);
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
    const { lake, receipts, logger } = this.opts;
    const at = new Date(this.opts.now());
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
        const obj = await lake.publish(
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
          (o) => receipts.indexLines(lines.map((l) => ({ ...l, k: o.key }))),
        );
        this.onPublished(buf, obj, at);
        return;
      } catch (err) {
        const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempt - 1));
        logger.error(
          { err, tenant: buf.tenant, stream: buf.stream, attempt, retryInMs: delay },
          'publishing a lake object failed',
        );
        await this.sleep(delay);
      }
    }
  }

  private onPublished(buf: OpenBuffer, obj: LakeObject, at: Date): void {
    const { wal, receipts, tracker, admission } = this.opts;
    const segments = new Map<number, number>();
    for (const p of buf.parts) {
      segments.set(p.segment, (segments.get(p.segment) ?? 0) + 1);
      receipts.partPublished(buf.tenant, buf.stream, p.batchId, obj.key);
    }
    for (const [segment, n] of segments) wal.release(segment, n);
    tracker.published(obj, buf.unit, at);
    this.opts.metrics.add(buf.tenant, buf.stream, { deliveredObjects: 1, deliveredBytes: obj.bytes });
    // After close the notification is dropped; the next start's refresh finds the object.
    if (!this.closed) this.opts.loader.notify(obj);
    admission.published(buf.bytes, obj.bytes);
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
}
