import type { Counters, Metrics, MetricsStore, MinutePoint } from '../ports.js';
import { COUNTER_FIELDS, emptyCounters } from './counters.js';

const MINUTE = 60_000;

/**
 * Per-stream per-minute counters. `add` only touches memory (the ingest hot path calls it once per
 * request); `flush` persists the deltas accumulated since the last flush with one write per stream-minute.
 */
export class MinuteMetrics implements Metrics {
  /** Unflushed deltas: "tenant/stream" → minute → counters. */
  private pending = new Map<string, Map<number, Counters>>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly lastReceived = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: MetricsStore,
    private readonly now: () => number = Date.now,
    flushEveryMs = 5_000,
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
    if (!minutes) this.pending.set(id, (minutes = new Map()));
    const minute = at - (at % MINUTE);
    let c = minutes.get(minute);
    if (!c) minutes.set(minute, (c = emptyCounters()));
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

  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async flushNow(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const queue: Array<[string, MinutePoint]> = [];
    for (const [id, minutes] of batch) for (const [minute, c] of minutes) queue.push([id, { minute, ...c }]);
    for (let i = 0; i < queue.length; i++) {
      const [id, point] = queue[i]!;
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
}
