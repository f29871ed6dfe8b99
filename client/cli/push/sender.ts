import type { TributaryError } from '../../errors.js';
import { backoffMs, isRetryable } from '../../retry.js';

export interface SenderOptions<T, R> {
  /** Requests on the wire at once. */
  concurrency: number;
  /**
   * Items sent and not yet settled (on the wire or waiting to be retried) at once; at least
   * `concurrency`. Default 2 × concurrency.
   */
  maxUnsettled?: number;
  /** One attempt at sending `item`, with no retries of its own. */
  attempt: (item: T) => Promise<R>;
  /** Called once per item: with its answer, or with the error that ended its retries. */
  settled: (item: T, outcome: Outcome<R>) => void;
  /** A retry stops once this long has passed since the item's first attempt; none: retries go on. */
  timeoutMs?: number;
  /** Called each time an item is scheduled to be sent again. */
  onRetry?: () => void;
  now?: () => number;
}

export type Outcome<R> = { result: R; sentFor: number } | { error: unknown; sentFor: number };

interface Job<T> {
  item: T;
  firstSentAt: number;
  attempt: number;
}

/**
 * Sends items `concurrency` at a time, retrying those the API may take later (no answer, 408, 429, 503,
 * 409 in progress) with the SDK's full-jitter backoff, never sooner than Retry-After. Unlike the SDK's
 * sendBatch, an item waiting to be retried does not hold a connection: when a loaded server answers 429
 * to several requests at once, their Retry-After sleeps overlap, and with the slots held the push would
 * send nothing for that second while the server has room again. A retry that is due goes before any new
 * item, so the oldest batches (which hold the checkpoint back) are not starved. A server that keeps
 * refusing is not flooded, though: with `maxUnsettled` items sent and unanswered, no new one goes out
 * until a retry is answered, so at most that many requests are refused per Retry-After.
 */
export class Sender<T, R> {
  private sending = 0;
  private readonly waiting = new Map<NodeJS.Timeout, Job<T>>();
  private readonly due: Job<T>[] = [];
  private aborted = false;
  private readonly now: () => number;
  private readonly maxUnsettled: number;

  constructor(private readonly o: SenderOptions<T, R>) {
    this.now = o.now ?? Date.now;
    this.maxUnsettled = Math.max(o.concurrency, o.maxUnsettled ?? 2 * o.concurrency);
  }

  /** A new item may go out now: a connection is free, no retry is due, and not too many are unanswered. */
  get hasRoom(): boolean {
    return this.sending < this.o.concurrency && this.due.length === 0 && this.unsettled < this.maxUnsettled;
  }

  /** Items sent and not yet settled: on the wire, waiting to be retried, or due. */
  get unsettled(): number {
    return this.sending + this.waiting.size + this.due.length;
  }

  send(item: T): void {
    this.start({ item, firstSentAt: this.now(), attempt: 0 });
  }

  /** Settles every item waiting for a retry with `reason` (requests on the wire end by their own signal). */
  abort(reason: unknown): void {
    this.aborted = true;
    const jobs = [...this.waiting.values(), ...this.due.splice(0)];
    for (const timer of this.waiting.keys()) clearTimeout(timer);
    this.waiting.clear();
    for (const job of jobs)
      this.o.settled(job.item, { error: reason, sentFor: this.now() - job.firstSentAt });
  }

  private start(job: Job<T>): void {
    this.sending++;
    this.o.attempt(job.item).then(
      (result) => {
        this.sending--;
        this.o.settled(job.item, { result, sentFor: this.now() - job.firstSentAt });
        this.pump();
      },
      (error: unknown) => {
        this.sending--;
        this.failed(job, error);
        this.pump();
      },
    );
  }

  private failed(job: Job<T>, error: unknown): void {
    const sentFor = this.now() - job.firstSentAt;
    const timedOut = this.o.timeoutMs !== undefined && sentFor >= this.o.timeoutMs;
    if (this.aborted || !isRetryable(error) || timedOut) {
      this.o.settled(job.item, { error, sentFor });
      return;
    }
    const delay = backoffMs(job.attempt++, {}, (error as TributaryError).retryAfterSeconds);
    this.o.onRetry?.();
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      this.due.push(job);
      this.pump();
    }, delay);
    this.waiting.set(timer, job);
  }

  private pump(): void {
    while (this.sending < this.o.concurrency && this.due.length) this.start(this.due.shift()!);
  }
}
