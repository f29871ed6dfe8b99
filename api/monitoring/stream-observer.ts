import {
  hourSums,
  reconcileWindow,
  reconciliation,
  silenceCountersFrom,
  type HourSums,
  type Observation,
  type Reconciliation,
} from '../domain/monitoring/rules.js';
import type { Stream } from '../domain/streams/types.js';
import type { AlertRule } from '../domain/monitoring/types.js';
import type { Delivery, DeliveryStatus, Metrics } from '../ports.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** While hours show a deficit, their sums are read again at most this often (counters may arrive late). */
const REREAD_DEFICIT_MS = 5 * MINUTE;

interface StreamMemo {
  /** Start of the newest minute seen with received > 0. */
  lastReceivedMinute?: number;
  /** Sums of completed hours by their start; final once their window has passed, so read once. */
  hours: Map<number, HourSums>;
  hoursReadAt: number;
}

export interface StreamObserverOptions {
  delivery: Pick<Delivery, 'status'>;
  metrics: Pick<Metrics, 'series' | 'lastReceivedAt'>;
  now: () => Date;
  /** Only what these rules judge is read. */
  rules: ReadonlySet<AlertRule>;
  /** How many completed hours reconciliation looks back over. */
  reconcileHours: number;
}

/**
 * Gathers what the alert rules judge about a stream. It runs in the ingest process, so it reads little:
 * minute counters only since the last one seen, and completed hours once.
 */
export class StreamObserver {
  private readonly memo = new Map<string, StreamMemo>();

  constructor(private readonly opts: StreamObserverOptions) {}

  /** What the rules judge about `stream` at `now` (epoch ms). */
  async observe(stream: Stream, now: number): Promise<Observation> {
    const memo = this.memoOf(stream);
    const { rules } = this.opts;
    const needsStatus = rules.has('load_delay') || rules.has('load_errors') || rules.has('load_stuck');
    const status: DeliveryStatus = needsStatus
      ? await this.opts.delivery.status(stream.tenant, stream.name)
      : { pendingRecords: 0 };
    const observation: Observation = { stream, status };
    if (rules.has('silence')) {
      const seen = this.opts.metrics.lastReceivedAt?.(stream.tenant, stream.name);
      await this.readLastReceived(stream, memo, now, seen);
      observation.lastReceivedAt = seen;
      observation.lastReceivedMinute = memo.lastReceivedMinute;
    }
    if (rules.has('reconciliation')) observation.reconcile = await this.reconcile(stream, memo, now);
    return observation;
  }

  /** Drops what is remembered about streams not in `live` (`tenant/stream`). */
  retain(live: ReadonlySet<string>): void {
    for (const id of this.memo.keys()) if (!live.has(id)) this.memo.delete(id);
  }

  private memoOf(stream: Stream): StreamMemo {
    const id = `${stream.tenant}/${stream.name}`;
    let memo = this.memo.get(id);
    if (!memo) this.memo.set(id, (memo = { hours: new Map(), hoursReadAt: 0 }));
    return memo;
  }

  private async readLastReceived(
    stream: Stream,
    memo: StreamMemo,
    now: number,
    seen: number | undefined,
  ): Promise<void> {
    const from = silenceCountersFrom(stream, now, seen);
    if (from === undefined) return;
    const points = await this.opts.metrics.series(
      stream.tenant,
      stream.name,
      Math.max(from, memo.lastReceivedMinute ?? 0),
      now,
    );
    for (let i = points.length - 1; i >= 0; i--) {
      if (points[i].received > 0) {
        memo.lastReceivedMinute = Math.max(memo.lastReceivedMinute ?? 0, points[i].minute);
        break;
      }
    }
  }

  /** The sums of every hour reconciliation can judge; re-read now and then while they show a deficit. */
  private async reconcile(stream: Stream, memo: StreamMemo, now: number): Promise<Reconciliation> {
    const { windowMs, origin, lastDueEnd } = reconcileWindow(stream, now, this.opts.reconcileHours);
    for (const start of memo.hours.keys()) if (start < origin) memo.hours.delete(start);
    const collect = (): Reconciliation => {
      const hours: HourSums[] = [];
      for (let start = origin; start < lastDueEnd; start += HOUR) hours.push(memo.hours.get(start)!);
      return { windowMs, origin, hours };
    };
    await this.readHours(stream, memo, origin, lastDueEnd, windowMs);
    if (reconciliation(collect()) && now - memo.hoursReadAt >= REREAD_DEFICIT_MS) {
      memo.hours.clear();
      await this.readHours(stream, memo, origin, lastDueEnd, windowMs);
    }
    return collect();
  }

  private async readHours(
    stream: Stream,
    memo: StreamMemo,
    origin: number,
    lastDueEnd: number,
    windowMs: number,
  ): Promise<void> {
    const missing: number[] = [];
    for (let start = origin; start < lastDueEnd; start += HOUR)
      if (!memo.hours.has(start)) missing.push(start);
    if (!missing.length) return;
    const first = missing[0];
    const last = missing[missing.length - 1];
    const points = await this.opts.metrics.series(
      stream.tenant,
      stream.name,
      first,
      last + HOUR + windowMs - 1,
    );
    for (const start of missing) memo.hours.set(start, hourSums(points, start, windowMs));
    memo.hoursReadAt = this.opts.now().getTime();
  }
}
