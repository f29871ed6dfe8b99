import { DependencyUnavailableError, OverloadedError } from '../../domain/errors.js';

/** When ingest is told to back off; every value is resolved by the composition root. */
export interface AdmissionLimits {
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
}

export interface AdmissionDeps {
  limits: AdmissionLimits;
  now: () => number;
  /** The log's group-commit queue. */
  queue: { readonly queuedBytes: number; readonly queuedEntries: number };
  /** Objects the loader has yet to load (for the pressure detail). */
  objectsAwaitingLoad(): number;
}

/**
 * Admission control: the byte counters between acknowledgement and load, the refusal they imply,
 * and the short wait `admit` gives a request for them to drop. Publishes and loads report here and
 * wake waiting requests.
 */
export class Admission {
  /** Acknowledged bytes in open buffers or publishes in flight. */
  private unpublishedBytes = 0;
  /** Published bytes the loader has not loaded yet. */
  private unloadedBytes = 0;
  private readonly waiters = new Set<() => void>();
  /** Appends are taken only once recovery has fixed the next log position. */
  private accepting = false;
  private closed = false;

  constructor(private readonly deps: AdmissionDeps) {}

  /** Recovery is done: appends may be taken (unless closed meanwhile). */
  open(): void {
    this.accepting = !this.closed;
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  buffered(bytes: number): void {
    this.unpublishedBytes += bytes;
  }

  /** A buffer of `bufferBytes` became an object of `objectBytes` waiting for the loader. */
  published(bufferBytes: number, objectBytes: number): void {
    this.unpublishedBytes -= bufferBytes;
    this.unloadedBytes += objectBytes;
    this.wake();
  }

  /** An unloaded object found at start-up. */
  found(objectBytes: number): void {
    this.unloadedBytes += objectBytes;
  }

  loaded(objectBytes: number): void {
    this.unloadedBytes -= objectBytes;
    this.wake();
  }

  /**
   * Waits up to `admitWaitMs` for the buffers or the loader to drop below their limits (woken by
   * every publish and load), then answers like `append` would. Waiting callers are bounded by the
   * ingest in-flight limit, so this is a short, bounded queue, not an unbounded one.
   */
  async admit(): Promise<void> {
    const deadline = this.deps.now() + this.deps.limits.admitWaitMs;
    for (;;) {
      const refusal = this.refusal();
      if (!refusal) return;
      const left = deadline - this.deps.now();
      if (!(refusal instanceof OverloadedError) || left <= 0) throw refusal;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Why a batch would be refused right now, if it would. */
  refusal(): Error | undefined {
    const { limits, queue } = this.deps;
    if (!this.accepting || this.closed) return new DependencyUnavailableError('delivery is not running');
    const waiting = this.unpublishedBytes + queue.queuedBytes;
    if (waiting >= limits.highWatermarkBytes)
      return new OverloadedError(`delivery buffers are full (${waiting} bytes not yet delivered)`, 1);
    if (this.unloadedBytes >= limits.maxUnloadedBytes)
      return new OverloadedError(`the loader is behind (${this.unloadedBytes} bytes not yet loaded)`, 1);
    if (queue.queuedBytes >= limits.maxQueueBytes || queue.queuedEntries >= limits.maxQueueEntries)
      return new OverloadedError('the delivery log is behind', 1);
    return undefined;
  }

  pressure(): { ok: boolean; detail: string } {
    const { limits, queue } = this.deps;
    const waiting = this.unpublishedBytes + queue.queuedBytes;
    const ok = waiting < limits.highWatermarkBytes && this.unloadedBytes < limits.maxUnloadedBytes;
    return {
      ok,
      detail: `${waiting} of ${limits.highWatermarkBytes} bytes awaiting delivery; ${this.unloadedBytes} of ${limits.maxUnloadedBytes} bytes (${this.deps.objectsAwaitingLoad()} objects) awaiting load`,
    };
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
