import { deliver, type RetryInfo, type WireBatch } from './deliver.js';
import type { TributaryError } from './errors.js';
import type { Http } from './http.js';
import { backoffMs, isRetryable, sleep, type RetryPolicy } from './retry.js';
import type { Spool } from './spool.js';
import type { SpoolEntry } from './spool-frame.js';
import type { IngestResult } from './types.js';

/** What the replayer tells its producer. */
export interface ReplayHost {
  answered(result: IngestResult, entry: SpoolEntry): Promise<void>;
  /** A non-retryable answer: the entry leaves the spool, given up. */
  failed(entry: SpoolEntry, error: Error): Promise<void>;
  retrying(info: RetryInfo, entry: WireBatch & { records: number }): void;
  /** The API answered (true) or could not be reached (false). */
  reachable(ok: boolean): void;
  /** Something flush() may be waiting for changed. */
  changed(): void;
}

/**
 * The API is down or overloaded. Not a 409 `idempotency_in_progress`: the API is up, and answers that
 * batch once its first attempt (cut short by a crash) expires.
 */
export const signalsOutage = (err: TributaryError): boolean => err.status !== 409;

/** Probes during an outage stay this frequent at most, so a recovered API is noticed soon. */
const MAX_PROBE_DELAY_MS = 5_000;

/**
 * Replays the spool oldest first, one batch at a time, each with its own Idempotency-Key (a batch the API
 * stored before the crash or timeout that spooled it is answered from the API's idempotency record, not
 * stored again). A batch is consumed only after the API answered it. While the API fails, the head batch
 * is retried with backoff; `kick()` cuts the wait short (flush() does, to find out whether the API is
 * back), and `failedSince(kick)` says whether an attempt after that kick found the API down.
 */
export class Replayer {
  private kicks = 0;
  private failedAt = -1;
  private wake = new AbortController();
  private readonly stopping = new AbortController();
  private task?: Promise<void>;
  /** Set when the spool could not be read: replay stopped. */
  error?: Error;

  constructor(
    private readonly http: Http,
    private readonly spool: Spool,
    private readonly policy: RetryPolicy,
    private readonly host: ReplayHost,
  ) {}

  start(): void {
    this.task ??= this.run().catch((err: unknown) => {
      this.error = err instanceof Error ? err : new Error(String(err));
      this.host.changed();
    });
  }

  get running(): boolean {
    return this.task !== undefined && this.error === undefined && !this.stopping.signal.aborted;
  }

  /** Retries the head batch now; returns the kick's number for failedSince. */
  kick(): number {
    this.kicks++;
    this.wake.abort();
    this.wake = new AbortController();
    return this.kicks;
  }

  failedSince(kick: number): boolean {
    return this.failedAt >= kick;
  }

  /** Stops replay; a batch in flight is abandoned unconsumed (the next start sends it again, same key). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.task;
  }

  private async run(): Promise<void> {
    const stop = this.stopping.signal;
    while (!stop.aborted) {
      const item = await this.spool.next();
      if (!item) {
        this.host.changed();
        await this.spool.waitForData(stop);
        continue;
      }
      const result = await this.deliverHead(item.entry);
      if (result === 'stopped') return;
      if (result instanceof Error) await this.host.failed(item.entry, result);
      else await this.host.answered(result, item.entry);
      await this.spool.consume(item);
      this.host.changed();
    }
  }

  private async deliverHead(entry: SpoolEntry): Promise<IngestResult | Error | 'stopped'> {
    const stop = this.stopping.signal;
    const policy = {
      ...this.policy,
      maxDelayMs: Math.min(this.policy.maxDelayMs ?? 20_000, MAX_PROBE_DELAY_MS),
    };
    for (let attempt = 0; ; attempt++) {
      const kick = this.kicks;
      try {
        const result = await deliver(this.http, entry, { signal: stop, giveUp: () => true });
        this.host.reachable(true);
        return result;
      } catch (err) {
        if (stop.aborted) return 'stopped';
        if (!isRetryable(err)) return err instanceof Error ? err : new Error(String(err));
        const error = err as TributaryError;
        if (signalsOutage(error)) {
          this.failedAt = kick;
          this.host.reachable(false);
          this.host.changed();
        }
        const delayMs = backoffMs(attempt, policy, error.retryAfterSeconds);
        this.host.retrying(
          { idempotencyKey: entry.idempotencyKey, attempt: attempt + 1, delayMs, error },
          entry,
        );
        await sleep(delayMs, AbortSignal.any([stop, this.wake.signal])).catch(() => undefined);
        if (stop.aborted) return 'stopped';
      }
    }
  }
}
