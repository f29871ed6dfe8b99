import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { Logger } from 'pino';
import { DependencyUnavailableError } from '../../domain/errors.js';
import type { BatchReceipt } from '../../domain/records/types.js';
import type { Delivery, DeliveryStatus, IngestBatch, Metrics } from '../../ports.js';
import { FIREHOSE_LIMITS, packLines, planCalls } from './pack.js';
import type { FirehoseLimits } from './pack.js';
import type { ReceiptStore } from './receipt-store.js';
import { DEFAULT_BACKOFF, backoffDelay, describeError, isRetryable } from './retry.js';
import type { Backoff } from './retry.js';

export interface FirehoseDeliveryOptions {
  /** Built with maxAttempts 1 (see createFirehoseClient): this adapter owns retries. */
  client: FirehoseClient;
  rawStreamName: string;
  quarantineStreamName: string;
  /** Total time append may spend on Firehose, retries included; keep it inside the Lambda timeout. */
  retryBudgetMs: number;
  receipts: ReceiptStore;
  metrics: Metrics;
  logger: Logger;
  /** In [0, 1); injectable so tests know the jitter. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Epoch ms; measures the retry budget and stamps deliveredAt. Tests pair it with a fake sleep. */
  now?: () => number;
  backoff?: Backoff;
  /** The service's limits; only tests shrink them. */
  limits?: FirehoseLimits;
  /** PutRecordBatch calls in flight at once for one append. */
  maxConcurrentCalls?: number;
}

/** One Firehose record of the batch on its way; done once it has a RecordId. */
interface Entry {
  streamName: string;
  data: Buffer;
  recordId?: string;
}

interface CallResult {
  failed: Entry[];
  error?: unknown;
  /** Will fail the same way on every try. */
  fatal?: boolean;
  /** Cut off by the end of the retry budget. */
  aborted?: boolean;
}

/** Per-entry failures of an otherwise successful PutRecordBatch, kept as the `cause` when retries run out. */
export class FirehoseEntriesFailedError extends Error {
  constructor(
    readonly failedCount: number,
    readonly errorCodes: string[],
  ) {
    super(`Firehose failed ${failedCount} record(s): ${errorCodes.join(', ')}`);
    this.name = 'FirehoseEntriesFailedError';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Delivery for TRIBUTARY_MODE=aws: each batch's lines go to Firehose as packed NDJSON records, and the
 * batch counts as durable only when every record has a RecordId. Firehose buffers and writes the lake
 * objects; the warehouse side (Snowpipe) reports loading.
 */
export class FirehoseDelivery implements Delivery {
  private readonly opts: FirehoseDeliveryOptions;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly backoff: Backoff;
  private readonly limits: FirehoseLimits;
  private readonly maxConcurrentCalls: number;
  private readonly lastDelivered = new Map<string, string>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(opts: FirehoseDeliveryOptions) {
    this.opts = opts;
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? defaultSleep;
    this.now = opts.now ?? Date.now;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.limits = opts.limits ?? FIREHOSE_LIMITS;
    this.maxConcurrentCalls = opts.maxConcurrentCalls ?? 4;
  }

  /** Retry-After for a 503: long enough for a throttled stream to recover a little. */
  private get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.backoff.capMs / 1000));
  }

  append(batch: IngestBatch): Promise<void> {
    if (this.closed)
      return Promise.reject(
        new DependencyUnavailableError('Delivery is shutting down', this.retryAfterSeconds),
      );
    const work = this.deliver(batch);
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async deliver(batch: IngestBatch): Promise<void> {
    // Pack everything before sending anything, so an oversized line fails the batch with nothing sent.
    const entries: Entry[] = [
      ...packLines(batch.records, this.limits.maxRecordBytes).map((data) => ({
        streamName: this.opts.rawStreamName,
        data,
      })),
      ...packLines(batch.rejects, this.limits.maxRecordBytes).map((data) => ({
        streamName: this.opts.quarantineStreamName,
        data,
      })),
    ];
    await this.putAll(entries, batch);

    const deliveredAt = new Date(this.now()).toISOString();
    await this.opts.receipts.put({
      tenant: batch.tenant,
      stream: batch.stream,
      batchId: batch.batchId,
      receivedAt: batch.receivedAt,
      accepted: batch.recordCount,
      rejected: batch.rejectCount,
      deliveredAt,
      recordIds: entries.map((e) => e.recordId as string),
    });
    this.lastDelivered.set(streamKey(batch.tenant, batch.stream), deliveredAt);
    if (entries.length > 0) {
      // Firehose records, not lake objects: Firehose decides how records become S3 objects.
      const bytes = entries.reduce((sum, e) => sum + e.data.length, 0);
      this.opts.metrics.add(batch.tenant, batch.stream, {
        deliveredObjects: entries.length,
        deliveredBytes: bytes,
      });
    }
  }

  /** Sends until every entry has a RecordId, resending only failed entries, within the retry budget. */
  private async putAll(entries: Entry[], batch: IngestBatch): Promise<void> {
    const deadline = this.now() + this.opts.retryBudgetMs;
    let pending = entries;
    let lastError: unknown;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const remaining = deadline - this.now();
      if (remaining <= 0) throw this.exhausted(pending.length, entries.length, lastError);

      const results = await this.sendRound(pending, remaining);
      const fatal = results.find((r) => r.fatal);
      if (fatal) {
        throw new DependencyUnavailableError(
          `Firehose refused the records: ${describeError(fatal.error)}`,
          this.retryAfterSeconds,
          {
            cause: fatal.error,
          },
        );
      }
      pending = results.flatMap((r) => r.failed);
      lastError = results.find((r) => r.error !== undefined)?.error ?? lastError;
      if (pending.length === 0) return;
      if (results.some((r) => r.aborted)) throw this.exhausted(pending.length, entries.length, lastError);

      const delay = backoffDelay(attempt, this.backoff, this.random);
      if (this.now() + delay >= deadline) throw this.exhausted(pending.length, entries.length, lastError);
      this.opts.logger.warn(
        {
          tenant: batch.tenant,
          stream: batch.stream,
          batchId: batch.batchId,
          attempt,
          pending: pending.length,
          delayMs: Math.round(delay),
          err: describeError(lastError),
        },
        'firehose put incomplete; retrying',
      );
      await this.sleep(delay);
    }
  }

  private exhausted(pending: number, total: number, lastError: unknown): DependencyUnavailableError {
    return new DependencyUnavailableError(
      `Firehose did not take ${pending} of ${total} record(s) within the ${this.opts.retryBudgetMs} ms retry budget` +
        (lastError === undefined ? '' : ` (last error: ${describeError(lastError)})`),
      this.retryAfterSeconds,
      { cause: lastError },
    );
  }

  /** One try for every pending entry: grouped by delivery stream, split to the call limits. */
  private async sendRound(pending: Entry[], remainingMs: number): Promise<CallResult[]> {
    const byStream = new Map<string, Entry[]>();
    for (const e of pending) {
      const list = byStream.get(e.streamName) ?? [];
      list.push(e);
      byStream.set(e.streamName, list);
    }
    const calls: Array<{ streamName: string; entries: Entry[] }> = [];
    for (const [streamName, list] of byStream) {
      for (const group of planCalls(list, (e) => e.data.length, this.limits))
        calls.push({ streamName, entries: group });
    }

    // A call still running when the budget ends is cut off: the route must answer before Lambda times out.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), remainingMs);
    try {
      // Indexed by call, so pending entries keep their order into the next round.
      const results: CallResult[] = new Array<CallResult>(calls.length);
      let next = 0;
      const worker = async () => {
        while (next < calls.length) {
          const i = next++;
          results[i] = await this.sendCall(calls[i].streamName, calls[i].entries, controller.signal);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.maxConcurrentCalls, calls.length) }, worker));
      return results;
    } finally {
      clearTimeout(timer);
    }
  }

  private async sendCall(streamName: string, entries: Entry[], signal: AbortSignal): Promise<CallResult> {
    try {
      const out = await this.opts.client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: streamName,
          Records: entries.map((e) => ({ Data: e.data })),
        }),
        { abortSignal: signal },
      );
      const responses = out.RequestResponses ?? [];
      const failed: Entry[] = [];
      const codes = new Set<string>();
      entries.forEach((entry, i) => {
        const r = responses[i];
        // Anything short of a RecordId (an error code, or a missing response) is not delivered.
        if (r?.RecordId && !r.ErrorCode) entry.recordId = r.RecordId;
        else {
          failed.push(entry);
          codes.add(
            r?.ErrorCode ? `${r.ErrorCode}: ${r.ErrorMessage ?? ''}`.trim() : 'no RecordId in response',
          );
        }
      });
      return failed.length
        ? { failed, error: new FirehoseEntriesFailedError(failed.length, [...codes]) }
        : { failed };
    } catch (err) {
      if (signal.aborted) return { failed: entries, error: err, aborted: true };
      return { failed: entries, error: err, fatal: !isRetryable(err) };
    }
  }

  async receipt(tenant: string, stream: string, batchId: string): Promise<BatchReceipt | undefined> {
    const r = await this.opts.receipts.get(tenant, stream, batchId);
    if (!r) return undefined;
    return {
      batchId: r.batchId,
      receivedAt: r.receivedAt,
      accepted: r.accepted,
      rejected: r.rejected,
      // Loaded once the load poller has seen raw hold every accepted row (Snowpipe loads, not us).
      ...(r.loadedAt ? { state: 'loaded' as const, loadedAt: r.loadedAt } : { state: 'delivered' as const }),
      objects: r.recordIds,
    };
  }

  /** Only what this instance saw: nothing is buffered here, and loading is the warehouse's to report. */
  status(tenant: string, stream: string): Promise<DeliveryStatus> {
    return Promise.resolve({
      pendingRecords: 0,
      lastDeliveredAt: this.lastDelivered.get(streamKey(tenant, stream)),
    });
  }

  pressure(): { ok: boolean; detail: string } {
    return { ok: true, detail: 'firehose: nothing buffered locally' };
  }

  /** Nothing is buffered here; Firehose's own throttling surfaces from append as 503. */
  admit(): Promise<void> {
    return Promise.resolve();
  }

  /** Waits for appends already under way; Firehose itself holds nothing of ours to flush. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }
}

function streamKey(tenant: string, stream: string): string {
  return `${tenant}\u0000${stream}`;
}
