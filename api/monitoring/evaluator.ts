import type { Logger } from 'pino';
import {
  DEFAULT_LOAD_MONITOR,
  loadStuck,
  type LoadMonitorSettings,
} from '../domain/monitoring/load-state.js';
import type { Stream } from '../domain/streams/types.js';
import {
  ALERT_RULES,
  alertId,
  type Alert,
  type AlertRule,
  type AlertState,
} from '../domain/monitoring/types.js';
import type {
  AlertNotifier,
  AlertStore,
  Catalog,
  Delivery,
  DeliveryStatus,
  Metrics,
  MinutePoint,
} from '../ports.js';

// The notifier port moved to api/ports.ts; re-exported so older import paths keep compiling.
export type { AlertNotifier, NotifyOutcome } from '../ports.js';

export interface EvaluatorOptions {
  catalog: Pick<Catalog, 'listTenants' | 'listStreams'>;
  delivery: Pick<Delivery, 'status'>;
  metrics: Pick<Metrics, 'series' | 'lastReceivedAt'>;
  alerts: AlertStore;
  notifier: AlertNotifier;
  now: () => Date;
  logger: Logger;
  /** Default 15 s. */
  intervalMs?: number;
  /**
   * Rules to evaluate; default all. Leave out `reconciliation` where nothing reports loaded rows (AWS:
   * Snowpipe loads), or every hour with traffic would look unreconciled.
   */
  rules?: readonly AlertRule[];
  /** How many completed hours reconciliation looks back over. Default 24. */
  reconcileHours?: number;
  /** After a failed (or webhook-less) notification, wait this long before trying that alert again. Default 60 s. */
  notifyRetryMs?: number;
  /** When `load_stuck` fires: an object failing this many attempts or this long. */
  loadMonitor?: LoadMonitorSettings;
}

export interface Evaluation {
  fired: Alert[];
  resolved: Alert[];
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DEFAULT_MAX_LOAD_DELAY_MINUTES = 5;
/** Other processes flush their minute counters every few seconds; an hour is judged only after that. */
const FLUSH_SLACK_MS = MINUTE;
/** While hours show a deficit, their sums are read again at most this often (counters may arrive late). */
const REREAD_DEFICIT_MS = 5 * MINUTE;

/**
 * One hour [S, S + 1 h): records accepted in it, rows loaded in [S, S + w) (counted only when S is
 * the look-back's start) and rows loaded in [S + w, S + 1 h + w). The tails of consecutive hours tile time.
 */
interface HourSums {
  accepted: number;
  loadedHead: number;
  loadedTail: number;
}

interface StreamMemo {
  /** Start of the newest minute seen with received > 0. */
  lastReceivedMinute?: number;
  hours: Map<number, HourSums>;
  hoursReadAt: number;
}

/**
 * Evaluates the freshness rules of every live stream on a timer and keeps one alert episode per
 * (stream, rule): opened when the rule trips, resolved when it clears. Runs in the ingest process, so it
 * reads little: minute counters only since the last one seen, and completed hours once.
 */
export class AlertEvaluator {
  private readonly intervalMs: number;
  private readonly rules: ReadonlySet<AlertRule>;
  private readonly reconcileHours: number;
  private readonly notifyRetryMs: number;
  private readonly memo = new Map<string, StreamMemo>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly retryAt = new Map<string, number>();
  private readonly abort = new AbortController();
  private timer?: NodeJS.Timeout;
  private running?: Promise<Evaluation>;

  constructor(private readonly opts: EvaluatorOptions) {
    this.intervalMs = opts.intervalMs ?? 15_000;
    this.rules = new Set(opts.rules ?? ALERT_RULES);
    this.reconcileHours = opts.reconcileHours ?? 24;
    this.notifyRetryMs = opts.notifyRetryMs ?? 60_000;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.evaluate().catch((err: unknown) => this.opts.logger.warn({ err }, 'alert evaluation failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer, lets a running evaluation finish and cancels notifications still retrying. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    this.abort.abort();
    await this.idle();
  }

  /** Resolves once every notification started so far has finished (delivered, failed or cancelled). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all(this.inflight.values());
  }

  /** One pass over every tenant. Overlapping calls share the pass under way. */
  evaluate(): Promise<Evaluation> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<Evaluation> {
    const out: Evaluation = { fired: [], resolved: [] };
    const now = this.opts.now().getTime();
    for (const [id, at] of this.retryAt) if (at <= now) this.retryAt.delete(id);
    const seen = new Set<string>();
    for (const tenant of await this.opts.catalog.listTenants()) {
      try {
        await this.evaluateTenant(tenant.name, out, seen);
      } catch (err) {
        this.opts.logger.warn({ err, tenant: tenant.name }, 'alert evaluation failed for tenant');
      }
    }
    for (const id of this.memo.keys()) if (!seen.has(id)) this.memo.delete(id);
    return out;
  }

  private async evaluateTenant(tenant: string, out: Evaluation, seen: Set<string>): Promise<void> {
    const [streams, active] = await Promise.all([
      this.opts.catalog.listStreams(tenant),
      this.opts.alerts.active(tenant),
    ]);
    const firing = new Map<string, Alert>();
    for (const a of active) {
      if (a.state === 'firing') firing.set(`${a.stream}/${a.rule}`, a);
      else if (a.lastNotifiedState === 'firing') this.scheduleNotify(a);
    }
    for (const stream of streams) {
      if (stream.deletedAt) continue;
      seen.add(`${tenant}/${stream.name}`);
      let tripped: Map<AlertRule, string>;
      try {
        tripped = await this.check(stream);
      } catch (err) {
        // Missing data must not resolve anything: leave this stream's alerts as they are.
        for (const rule of ALERT_RULES) firing.delete(`${stream.name}/${rule}`);
        this.opts.logger.warn({ err, tenant, stream: stream.name }, 'alert rules could not be evaluated');
        continue;
      }
      for (const rule of this.rules) {
        const open = firing.get(`${stream.name}/${rule}`);
        firing.delete(`${stream.name}/${rule}`);
        const message = tripped.get(rule);
        if (message && !open) await this.fire(stream, rule, message, out);
        else if (!message && open) await this.resolve(open, out);
        else if (open && open.lastNotifiedState !== 'firing') this.scheduleNotify(open);
      }
    }
    // What is left fires on a stream that is gone (deleted), or on a rule no longer evaluated here.
    for (const open of firing.values()) {
      if (this.rules.has(open.rule)) await this.resolve(open, out);
    }
  }

  private async fire(stream: Stream, rule: AlertRule, message: string, out: Evaluation): Promise<void> {
    const firedAt = this.opts.now().toISOString();
    const alert: Alert = {
      id: alertId(stream.name, rule, firedAt),
      tenant: stream.tenant,
      stream: stream.name,
      rule,
      state: 'firing',
      message,
      firedAt,
    };
    if (!(await this.opts.alerts.open(alert))) return;
    this.opts.logger.info(
      { tenant: alert.tenant, stream: alert.stream, rule, alertId: alert.id, message },
      'alert firing',
    );
    out.fired.push(alert);
    this.scheduleNotify(alert);
  }

  private async resolve(open: Alert, out: Evaluation): Promise<void> {
    const alert = { ...open, state: 'resolved' as const, resolvedAt: this.opts.now().toISOString() };
    if (!(await this.opts.alerts.resolve(alert))) return;
    this.opts.logger.info(
      { tenant: alert.tenant, stream: alert.stream, rule: alert.rule, alertId: alert.id },
      'alert resolved',
    );
    out.resolved.push(alert);
    // A receiver never told it fired has nothing to resolve.
    if (alert.lastNotifiedState === 'firing') this.scheduleNotify(alert);
  }

  /** At most one delivery per alert at a time, so a receiver never sees "resolved" before "firing". */
  private scheduleNotify(alert: Alert): void {
    const now = this.opts.now().getTime();
    if (this.inflight.has(alert.id) || (this.retryAt.get(alert.id) ?? 0) > now || this.abort.signal.aborted)
      return;
    const state: AlertState = alert.state;
    const task = this.opts.notifier
      .notify(alert.tenant, alert, this.abort.signal)
      .then(async (outcome) => {
        if (outcome === 'sent') {
          this.retryAt.delete(alert.id);
          await this.opts.alerts.markNotified(alert.tenant, alert.id, state);
        } else {
          this.retryAt.set(alert.id, this.opts.now().getTime() + this.notifyRetryMs);
        }
      })
      .catch((err: unknown) =>
        this.opts.logger.warn({ err, alertId: alert.id }, 'recording an alert notification failed'),
      )
      .finally(() => this.inflight.delete(alert.id));
    this.inflight.set(alert.id, task);
  }

  /** The rules that trip for this stream now, with the message each alert carries. */
  private async check(stream: Stream): Promise<Map<AlertRule, string>> {
    const now = this.opts.now().getTime();
    const id = `${stream.tenant}/${stream.name}`;
    let memo = this.memo.get(id);
    if (!memo) this.memo.set(id, (memo = { hours: new Map(), hoursReadAt: 0 }));
    const tripped = new Map<AlertRule, string>();
    const needsStatus =
      this.rules.has('load_delay') || this.rules.has('load_errors') || this.rules.has('load_stuck');
    const status: DeliveryStatus = needsStatus
      ? await this.opts.delivery.status(stream.tenant, stream.name)
      : { pendingRecords: 0 };

    if (this.rules.has('silence')) {
      const message = await this.silence(stream, memo, now);
      if (message) tripped.set('silence', message);
    }
    if (this.rules.has('load_delay') && status.oldestUnloadedAt) {
      const maxMinutes = stream.freshness?.maxLoadDelayMinutes ?? DEFAULT_MAX_LOAD_DELAY_MINUTES;
      if (now - Date.parse(status.oldestUnloadedAt) > maxMinutes * MINUTE) {
        tripped.set(
          'load_delay',
          `Records acknowledged at ${status.oldestUnloadedAt} are not loaded after ${maxMinutes} minutes (${status.pendingRecords} pending).`,
        );
      }
    }
    const err = status.lastLoadError;
    if (
      this.rules.has('load_errors') &&
      err &&
      (!status.lastLoadedAt || Date.parse(err.at) > Date.parse(status.lastLoadedAt))
    ) {
      tripped.set('load_errors', `Loading fails since ${err.at}: ${err.message}`);
    }
    if (this.rules.has('load_stuck')) {
      // Fires while an object keeps failing (data that cannot be salvaged, a dependency that stays
      // down); resolves once it loads.
      const message = loadStuck(status, now, this.opts.loadMonitor ?? DEFAULT_LOAD_MONITOR);
      if (message) tripped.set('load_stuck', message);
    }
    if (this.rules.has('reconciliation')) {
      const message = await this.reconcile(stream, memo, now);
      if (message) tripped.set('reconciliation', message);
    }
    return tripped;
  }

  private async silence(stream: Stream, memo: StreamMemo, now: number): Promise<string | undefined> {
    const minutes = stream.freshness?.maxSilenceMinutes;
    if (!minutes) return undefined;
    const windowStart = now - minutes * MINUTE;
    // A stream younger than the window has not been silent for that long, whatever it received.
    if (Date.parse(stream.createdAt) > windowStart) return undefined;
    // This process saw a record in the window: no need to read the counters.
    const seen = this.opts.metrics.lastReceivedAt?.(stream.tenant, stream.name);
    if (seen !== undefined && seen >= windowStart) return undefined;
    const windowMinute = windowStart - (windowStart % MINUTE);
    const from = Math.max(windowMinute, memo.lastReceivedMinute ?? 0);
    const points = await this.opts.metrics.series(stream.tenant, stream.name, from, now);
    for (let i = points.length - 1; i >= 0; i--) {
      if (points[i]!.received > 0) {
        memo.lastReceivedMinute = Math.max(memo.lastReceivedMinute ?? 0, points[i]!.minute);
        break;
      }
    }
    if (memo.lastReceivedMinute !== undefined && memo.lastReceivedMinute >= windowMinute) return undefined;
    const last = Math.max(seen ?? -1, memo.lastReceivedMinute ?? -1);
    const since = last >= 0 ? `since ${new Date(last).toISOString()}` : `in the last ${minutes} minutes`;
    return `No records received ${since} (limit ${minutes} minutes).`;
  }

  /**
   * Every accepted record must be loaded within the delivery window w (loadedRows counts raw loads
   * only, so rejected records, loaded into quarantine, are left out on both sides). Loads are counted
   * when they happen, not when their records arrived, so hours are compared cumulatively: for each
   * completed hour ending at E, rows loaded in [O, E + w) must cover records accepted in [O, E), O being
   * the start of the look-back. The sums of an hour are final once E + w has passed, so
   * each is read once; while a deficit shows, they are re-read now and then in case counters came late.
   */
  private async reconcile(stream: Stream, memo: StreamMemo, now: number): Promise<string | undefined> {
    const windowMs = stream.buffering.intervalSeconds * 1000 + 5 * MINUTE;
    const lastDueEnd = Math.floor((now - windowMs - FLUSH_SLACK_MS) / HOUR) * HOUR;
    const created = Date.parse(stream.createdAt);
    const origin = Math.max(lastDueEnd - this.reconcileHours * HOUR, created - (created % HOUR));
    for (const start of memo.hours.keys()) if (start < origin) memo.hours.delete(start);
    for (let round = 0; ; round++) {
      await this.readHours(stream, memo, origin, lastDueEnd, windowMs);
      let deficit = 0;
      let since: number | undefined;
      for (let start = origin; start < lastDueEnd; start += HOUR) {
        const h = memo.hours.get(start)!;
        deficit += h.accepted - h.loadedTail - (start === origin ? h.loadedHead : 0);
        if (deficit <= 0) since = undefined;
        else since ??= start;
      }
      if (deficit <= 0) return undefined;
      if (round === 0 && now - memo.hoursReadAt >= REREAD_DEFICIT_MS) {
        memo.hours.clear();
        continue;
      }
      return `${deficit} accepted records since ${new Date(since!).toISOString()} were not loaded within ${Math.round(windowMs / MINUTE)} minutes.`;
    }
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
    const first = missing[0]!;
    const last = missing[missing.length - 1]!;
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

function hourSums(points: MinutePoint[], start: number, windowMs: number): HourSums {
  const sums: HourSums = { accepted: 0, loadedHead: 0, loadedTail: 0 };
  for (const p of points) {
    if (p.minute >= start && p.minute < start + HOUR) sums.accepted += p.accepted;
    if (p.minute >= start && p.minute < start + windowMs) sums.loadedHead += p.loadedRows;
    else if (p.minute >= start + windowMs && p.minute < start + HOUR + windowMs)
      sums.loadedTail += p.loadedRows;
  }
  return sums;
}
