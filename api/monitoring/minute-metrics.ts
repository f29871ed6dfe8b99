import type { Counters, Metrics, MetricsStore, MinutePoint } from '../ports.js';
import { COUNTER_FIELDS, emptyCounters } from '../domain/monitoring/counters.js';

const MINUTE = 60_000;
/** Unflushed stream-minutes kept while the store is failing: 64 streams for ~2.5 h. */
const MAX_PENDING_POINTS = 10_000;

/**
 * Per-stream per-minute counters. `add` only touches memory (the ingest hot path calls it once per
 * request); `flush` persists the deltas accumulated since the last flush with one write per stream-minute.
 */
export class MinuteMetrics implements Metrics {
  /** Unflushed deltas: "tenant/stream" → minute → counters. */
  private pending = new Map<string, Map<number, Counters>>();
  /** Stream-minutes in `pending`. */
  private pendingPoints = 0;
  /** Stream-minutes dropped (oldest first) because the store failed for too long. */
  private droppedPoints = 0;
  /** The flush in progress; every flush runs after the one before, whether that one failed or not. */
  private flushing: Promise<void> = Promise.resolve();
  private readonly lastReceived = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: MetricsStore,
    private readonly now: () => number = Date.now,
    flushEveryMs = 5_000,
    private readonly maxPendingPoints = MAX_PENDING_POINTS,
  ) {
    if (flushEveryMs > 0) {
      this.timer = setInterval(() => void this.flush().catch(() => undefined), flushEveryMs);
      this.timer.unref();
    }
  }

  add(tenant: string, stream: string, delta: Partial<Counters>, at = this.now()): void {
    const id = `${tenant}/${stream}`;
    if (delta.received && at > (this.lastReceived.get(id) ?? 0)) this.lastReceived.set(id, at);
    let minutes = this.pending.get(id);
    if (!minutes) this.pending.set(id, (minutes = new Map<number, Counters>()));
    const minute = at - (at % MINUTE);
    let c = minutes.get(minute);
    if (!c) {
      minutes.set(minute, (c = emptyCounters()));
      if (++this.pendingPoints > this.maxPendingPoints) this.dropOldest();
    }
    for (const f of COUNTER_FIELDS) {
      const v = delta[f];
      if (v) c[f] += v;
    }
  }

  lastReceivedAt(tenant: string, stream: string): number | undefined {
    return this.lastReceived.get(`${tenant}/${stream}`);
  }

  async series(tenant: string, stream: string, fromMs: number, toMs: number): Promise<MinutePoint[]> {
    const from = fromMs - (fromMs % MINUTE);
    const stored = await this.store.getMinutes(tenant, stream, from, toMs);
    const byMinute = new Map<number, MinutePoint>(stored.map((p) => [p.minute, p]));
    for (const [minute, c] of this.pending.get(`${tenant}/${stream}`) ?? []) {
      if (minute < from || minute > toMs) continue;
      const p = byMinute.get(minute) ?? { minute, ...emptyCounters() };
      for (const f of COUNTER_FIELDS) p[f] += c[f];
      byMinute.set(minute, p);
    }
    const out: MinutePoint[] = [];
    for (let m = from; m <= toMs; m += MINUTE) out.push(byMinute.get(m) ?? { minute: m, ...emptyCounters() });
    return out;
  }

  /** Stream-minutes waiting to be written, and those given up on (see MAX_PENDING_POINTS). */
  backlog(): { pending: number; dropped: number } {
    return { pending: this.pendingPoints, dropped: this.droppedPoints };
  }

  /**
   * Writes the pending deltas. A failed flush rejects for its caller only: the deltas it could not
   * write are merged back into `pending`, and the next flush starts afresh and writes them. (A write
   * that failed after DynamoDB applied it, a timeout, is counted again: counters are ADDs, not puts.)
   */
  flush(): Promise<void> {
    const run = this.flushing.catch(() => undefined).then(() => this.flushNow());
    this.flushing = run;
    return run;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async flushNow(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.pendingPoints = 0;
    const queue: Array<[string, MinutePoint]> = [];
    for (const [id, minutes] of batch) for (const [minute, c] of minutes) queue.push([id, { minute, ...c }]);
    for (let i = 0; i < queue.length; i++) {
      const [id, point] = queue[i];
      const [tenant, stream] = id.split('/') as [string, string];
      try {
        await this.store.addMinutes(tenant, stream, [point]);
      } catch (err) {
        // Put the unwritten deltas back so a catalog outage delays the counters instead of losing them.
        for (const [rid, p] of queue.slice(i)) {
          const [t, s] = rid.split('/') as [string, string];
          this.add(t, s, p, p.minute);
        }
        throw err;
      }
    }
  }

  /**
   * Bounds memory while the store is down: the oldest stream-minute goes. Runs only when a new
   * stream-minute appears beyond the bound (about once a minute per stream), so the scan is rare.
   */
  private dropOldest(): void {
    let oldest: { id: string; minute: number } | undefined;
    for (const [id, minutes] of this.pending) {
      for (const minute of minutes.keys()) if (!oldest || minute < oldest.minute) oldest = { id, minute };
    }
    if (!oldest) return;
    const minutes = this.pending.get(oldest.id)!;
    minutes.delete(oldest.minute);
    if (minutes.size === 0) this.pending.delete(oldest.id);
    this.pendingPoints--;
    this.droppedPoints++;
  }
}
