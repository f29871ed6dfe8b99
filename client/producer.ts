import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { BatchBuffer } from './batch-buffer.js';
import { ByteBudget } from './budget.js';
import { Conditions } from './conditions.js';
import { deliver, errorsByIndex, type RetryInfo, type WireBatch } from './deliver.js';
import { JSON_ARRAY, compress, decodeRecords, parseBatch, type GzipSettings } from './encode.js';
import { RecordTooLargeError, type TributaryError } from './errors.js';
import type { Http } from './http.js';
import { settingsOf, type ProducerSettings } from './producer-settings.js';
import type { ProducerCounts, ProducerEvents, ProducerOptions, SpoolReason } from './producer-types.js';
import { Replayer, signalsOutage } from './replayer.js';
import { isRetryable } from './retry.js';
import { closeOnSignals } from './signals.js';
import { Spool } from './spool.js';
import type { IngestResult } from './types.js';

interface Batch {
  seq: number;
  key: string;
  /** The records as a JSON array, built when the batch is cut: off the JS heap while it is in flight. */
  text: Buffer;
  records: number;
  /** What the batch holds of the queue's byte budget. */
  bytes: number;
}

/** What send() answers when the record went straight into the queue: one promise for all of them. */
const QUEUED: Promise<void> = Promise.resolve();
const recordsOf = (b: Batch): unknown[] => parseBatch(b.text, JSON_ARRAY);
const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/**
 * Batches records and delivers them: send() queues, a batch goes out when it is full (records or bytes) or
 * its first record has lingered long enough, each batch with its own Idempotency-Key, retried on what can
 * be retried. With a spool, a batch the API cannot take in time goes to disk and is replayed later.
 * Memory is bounded: records queued or in flight never pass maxQueueBytes; send() waits for room.
 */
export class Producer extends EventEmitter<ProducerEvents> {
  readonly tenant: string;
  readonly stream: string;
  readonly producerId: string;
  private readonly s: ProducerSettings;
  private readonly gz: GzipSettings | undefined;
  private readonly budget: ByteBudget;
  /** What the records of a batch may take: maxBatchBytes less the array's opening bracket. */
  private readonly batchRoom: number;
  /** Part of every Idempotency-Key: a restarted producer with the same producerId never reuses a key. */
  private readonly runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  /** The batch being filled. */
  private readonly open = new BatchBuffer();
  private linger?: NodeJS.Timeout;
  private seq = 0;
  private readonly queue: Batch[] = [];
  private inFlight = 0;
  private readonly unsettled = new Set<number>();
  private readonly totals: ProducerCounts = {
    queued: 0,
    batches: 0,
    acked: 0,
    rejected: 0,
    duplicates: 0,
    failed: 0,
    retries: 0,
    spooled: 0,
    replayed: 0,
  };
  /** The API failed a batch past its deadline, or a replay: new batches go straight to the spool. */
  private degraded = false;
  private spool?: Spool;
  private replayer?: Replayer;
  private readonly opened: Promise<void>;
  private openError?: Error;
  /** The spool refused a batch (full, or a disk error): send() refuses records until it takes one again. */
  private spoolError?: Error;
  private replayErrorReported = false;
  /** Failures flush() has not reported yet. */
  private readonly problems: Error[] = [];
  private readonly closing = new AbortController();
  private closingAt?: number;
  private closed?: Promise<void>;
  private readonly conditions = new Conditions();
  private removeSignalHandlers?: () => void;

  constructor(
    private readonly http: Http,
    options: ProducerOptions,
  ) {
    super();
    this.s = settingsOf(options);
    this.tenant = options.tenant;
    this.stream = options.stream;
    this.producerId = this.s.producerId;
    this.gz = this.s.gzip ? { minBytes: this.s.gzipMinBytes, level: this.s.gzipLevel } : undefined;
    this.budget = new ByteBudget(this.s.maxQueueBytes);
    this.batchRoom = this.s.maxBatchBytes - 1;
    this.opened = options.spoolDir ? this.openSpool(options.spoolDir) : Promise.resolve();
    if (options.closeOnSignals) this.removeSignalHandlers = closeOnSignals(() => this.close());
  }

  /** Running totals (a copy). */
  get counts(): ProducerCounts {
    return { ...this.totals };
  }

  /** Bytes of records queued or in flight (never above maxQueueBytes). */
  get queuedBytes(): number {
    return this.budget.bytes;
  }

  /** Bytes of batches waiting in the spool. */
  get spoolBytes(): number {
    return this.spool?.bytes ?? 0;
  }

  /** Resolves once the spool is open and its replay has started; rejects when it cannot be opened. */
  get ready(): Promise<void> {
    return this.opened.then(() => {
      if (this.openError) throw this.openError;
    });
  }

  /**
   * Queues one record (any JSON value; the stream's schema decides). Resolves once it is queued, which
   * waits while the queue is full. Rejects a record that is not JSON or larger than a batch, and refuses
   * records after close() and while the spool is full.
   */
  send(record: unknown): Promise<void> {
    // Not an async function: a record that finds room is queued at once, with no promise of its own.
    try {
      return this.offer(record);
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  private offer(record: unknown): Promise<void> {
    if (this.closing.signal.aborted)
      throw new Error('the producer is closed: send() after close() is refused');
    if (this.openError) throw this.openError;
    if (this.spoolError) throw this.spoolError;
    const line = JSON.stringify(record);
    if (line === undefined) throw new TypeError(`a record must be a JSON value, not ${typeof record}`);
    // Usually written into the open batch right away, which measures it too; kept only if it gets in.
    const staged = this.budget.waiters === 0 ? this.open.stage(line) : 0;
    const bytes = staged || Buffer.byteLength(line, 'utf8') + 1;
    if (bytes > this.batchRoom) throw new RecordTooLargeError(bytes, 'maxBatchBytes', this.s.maxBatchBytes);
    if (bytes > this.s.maxQueueBytes)
      throw new RecordTooLargeError(bytes, 'maxQueueBytes', this.s.maxQueueBytes);
    // A record that must wait is queued the moment it gets room, in the order the sends came.
    if (!this.budget.tryAcquire(bytes)) return this.budget.acquire(bytes, () => this.enqueue(line, bytes));
    if (staged && this.open.bytes + staged <= this.batchRoom) {
      this.open.commit(staged);
      this.added();
    } else {
      this.enqueue(line, bytes);
    }
    return QUEUED;
  }

  private enqueue(line: string, bytes: number): void {
    if (this.open.bytes + bytes > this.batchRoom) this.cut();
    this.open.append(line, bytes);
    this.added();
  }

  private added(): void {
    this.totals.queued++;
    if (this.open.count >= this.s.maxBatchRecords) this.cut();
    else this.linger ??= setTimeout(() => this.cut(), this.s.lingerMs);
  }

  /**
   * Resolves once every record sent so far is acknowledged, rejected or in the spool, and the spool has
   * been replayed (or the API still fails, so what it holds stays on disk). Rejects with the failures
   * since the last flush: batches the API refused outright (401, 403, 404, 409, 413, …), or that could
   * neither be delivered nor spooled.
   */
  async flush(): Promise<void> {
    await this.opened;
    this.cut();
    const target = this.seq;
    const kick = this.replayer?.kick();
    await this.conditions.until(() => this.settledThrough(target) && this.replayCaughtUp(kick));
    if (this.openError) throw this.openError;
    if (this.replayer?.error && !this.replayErrorReported) {
      this.replayErrorReported = true;
      this.problems.push(this.replayer.error);
    }
    const problems = this.problems.splice(0);
    if (problems.length === 1) throw problems[0];
    if (problems.length > 1)
      throw new AggregateError(
        problems,
        `${problems.length} batches failed; the first: ${problems[0].message}`,
      );
  }

  /** Flushes (spooling what the API cannot take now, when there is a spool) and releases the spool. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closingAt = Date.now();
    this.closing.abort();
    let first: Error | undefined;
    try {
      // Sends already waiting for room get in as batches settle: flush until nothing is left.
      do {
        await this.flush().catch(
          (err: unknown) =>
            (first ??= err instanceof Error ? err : new Error('flush failed', { cause: err })),
        );
      } while (this.open.count || this.budget.waiters || this.unsettled.size);
    } finally {
      await this.replayer?.stop();
      await this.spool?.close();
      this.removeSignalHandlers?.();
    }
    if (first) throw first;
  }

  private cut(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = undefined;
    if (this.open.count === 0) return;
    const seq = ++this.seq;
    const records = this.open.count;
    const bytes = this.open.bytes;
    this.queue.push({
      seq,
      key: `${this.producerId}.${this.runId}.${seq}`,
      text: this.open.take(),
      records,
      bytes,
    });
    this.totals.batches++;
    this.unsettled.add(seq);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.s.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      this.inFlight++;
      void this.run(batch)
        .catch((err: unknown) => this.fail(batch.key, recordsOf(batch), asError(err), false))
        .finally(() => {
          this.inFlight--;
          this.unsettled.delete(batch.seq);
          this.budget.release(batch.bytes);
          this.conditions.changed();
          this.pump();
        });
    }
  }

  private async run(b: Batch): Promise<void> {
    await this.opened;
    if (this.openError) return this.fail(b.key, recordsOf(b), this.openError, false);
    const wire: WireBatch = {
      tenant: this.tenant,
      stream: this.stream,
      idempotencyKey: b.key,
      contentType: JSON_ARRAY,
      ...(await compress(b.text, this.gz)),
    };
    if (this.spool && this.degraded && !this.spoolError && (await this.toSpool(b, wire, 'unreachable')))
      return;
    const started = Date.now();
    for (;;) {
      let result: IngestResult;
      try {
        result = await deliver(this.http, wire, {
          policy: this.s.retry,
          // Closing cuts the wait before a retry short when the batch can be spooled instead.
          waitSignal: this.spool && !this.spoolError ? this.closing.signal : undefined,
          onRetry: (info) => this.retried(info, b.records, false),
          giveUp: () => this.giveUp(started),
        });
      } catch (err) {
        if (!isRetryable(err) || !this.spool) return this.fail(b.key, recordsOf(b), asError(err), false);
        if (!this.spoolError) {
          const closing = this.closing.signal.aborted;
          if (!closing && signalsOutage(err as TributaryError)) this.degraded = true;
          if (await this.toSpool(b, wire, closing ? 'closing' : 'deadline')) return;
        }
        // The spool cannot take it: it stays in memory and is tried again, until giveUp says otherwise.
        if (!this.giveUp(started)) continue;
        return this.fail(b.key, recordsOf(b), this.spoolError ?? asError(err), false);
      }
      this.degraded = false;
      // The API takes batches again: the spool being full no longer stands in the way.
      this.spoolError = undefined;
      return this.answered(result, b.key, b.records, false, () => Promise.resolve(recordsOf(b)));
    }
  }

  /** Whether a batch stops retrying (with a spool, to be spooled, unless the spool refused it). */
  private giveUp(started: number): boolean {
    const now = Date.now();
    const timeout = this.s.deliveryTimeoutMs;
    if (!this.spool) return now - started >= timeout;
    if (!this.spoolError) return this.closing.signal.aborted || now - started >= timeout;
    // The spool is full: the batch stays in memory; once close() has begun, it has the timeout left.
    return this.closingAt !== undefined && now - Math.max(started, this.closingAt) >= timeout;
  }

  private async toSpool(b: Batch, wire: WireBatch, reason: SpoolReason): Promise<boolean> {
    try {
      await this.spool!.append({ ...wire, records: b.records, spooledAt: new Date().toISOString() });
    } catch (err) {
      this.spoolError = asError(err);
      // Sends waiting for room would wait for the API to come back: tell them now instead.
      this.budget.rejectWaiting(this.spoolError);
      return false;
    }
    this.spoolError = undefined;
    this.totals.spooled += b.records;
    this.tell('spooled', {
      idempotencyKey: b.key,
      records: b.records,
      bytes: wire.body.byteLength,
      reason,
      spoolBytes: this.spool!.bytes,
      counts: this.counts,
    });
    return true;
  }

  private async answered(
    result: IngestResult,
    idempotencyKey: string,
    records: number,
    fromSpool: boolean,
    recordsOf: () => Promise<unknown[]>,
  ): Promise<void> {
    this.totals.acked += result.accepted;
    this.totals.rejected += result.rejected;
    this.totals.duplicates += result.duplicates;
    if (fromSpool) this.totals.replayed += records;
    this.tell('acked', {
      batchId: result.batchId,
      idempotencyKey,
      records,
      accepted: result.accepted,
      rejected: result.rejected,
      duplicates: result.duplicates,
      fromSpool,
      counts: this.counts,
    });
    if (result.errors.length === 0 || this.listenerCount('rejected') === 0) return;
    const all = await recordsOf();
    for (const [index, errors] of errorsByIndex(result)) {
      this.tell('rejected', {
        record: all[index],
        index,
        errors,
        batchId: result.batchId,
        counts: this.counts,
      });
    }
  }

  /**
   * Emits an event. A listener that throws is the application's bug, reported as an uncaught exception as
   * a throwing timer callback would be; it must not leave the producer's own bookkeeping half done.
   */
  private tell<K extends keyof ProducerEvents>(event: K, ...args: ProducerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ProducerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  private retried(info: RetryInfo, records: number, fromSpool: boolean): void {
    this.totals.retries++;
    this.tell('retry', { ...info, records, fromSpool, counts: this.counts });
  }

  private fail(idempotencyKey: string, records: unknown[], error: Error, fromSpool: boolean): void {
    this.totals.failed += records.length;
    this.problems.push(error);
    this.tell('failed', { idempotencyKey, records, error, fromSpool, counts: this.counts });
  }

  private async openSpool(dir: string): Promise<void> {
    try {
      this.spool = await Spool.open({
        dir,
        maxBytes: this.s.maxSpoolBytes,
        segmentBytes: this.s.spoolSegmentBytes,
      });
    } catch (err) {
      this.openError = asError(err);
      return;
    }
    this.replayer = new Replayer(this.http, this.spool, this.s.retry, {
      answered: (result, entry) =>
        this.answered(result, entry.idempotencyKey, entry.records, true, () =>
          decodeRecords(entry.body, entry.gzip, entry.contentType),
        ),
      failed: async (entry, error) =>
        this.fail(
          entry.idempotencyKey,
          await decodeRecords(entry.body, entry.gzip, entry.contentType),
          error,
          true,
        ),
      retrying: (info, entry) => this.retried(info, entry.records, true),
      reachable: (ok) => {
        this.degraded = !ok;
        // Replay freed room: a spool that was full may take batches again.
        if (ok) this.spoolError = undefined;
      },
      changed: () => this.conditions.changed(),
    });
    this.replayer.start();
  }

  private replayCaughtUp(kick: number | undefined): boolean {
    const r = this.replayer;
    if (!r || !r.running || kick === undefined) return true;
    return this.spool!.empty || r.failedSince(kick);
  }

  private settledThrough(seq: number): boolean {
    for (const s of this.unsettled) if (s <= seq) return false;
    return true;
  }
}
