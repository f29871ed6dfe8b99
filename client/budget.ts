/**
 * The producer's memory bound: bytes of records queued or in flight. `acquire` waits while taking `n`
 * would pass the limit, first come first served, so records enter the queue in the order they were sent.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: {
    n: number;
    granted?: () => void;
    resolve: () => void;
    reject: (err: unknown) => void;
  }[] = [];

  constructor(readonly limit: number) {}

  get bytes(): number {
    return this.used;
  }

  /** How many acquire() calls are waiting for room. */
  get waiters(): number {
    return this.waiting.length;
  }

  /** Takes `n` when there is room now and nobody is waiting before us; false takes nothing. */
  tryAcquire(n: number): boolean {
    if (this.waiting.length > 0 || this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  /**
   * `n` must not exceed the limit (the caller checks, so a lone record can always get in). `granted`
   * runs the moment the room is taken, before anyone else can take any: what it queues stays in order.
   */
  acquire(n: number, granted?: () => void): Promise<void> {
    if (this.tryAcquire(n)) {
      granted?.();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiting.push({ n, granted, resolve, reject }));
  }

  release(n: number): void {
    this.used -= n;
    while (this.waiting.length > 0 && this.used + this.waiting[0].n <= this.limit) {
      const next = this.waiting.shift()!;
      this.used += next.n;
      next.granted?.();
      next.resolve();
    }
  }

  /** Fails every waiting acquire (the producer closed under them). */
  rejectWaiting(err: unknown): void {
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}
