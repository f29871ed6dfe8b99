import type { Logger } from 'pino';
import { DEFAULT_LOAD_MONITOR, type LoadMonitorSettings } from '../domain/monitoring/load-state.js';
import { trippedRules, type RuleSettings } from '../domain/monitoring/rules.js';
import type { Stream } from '../domain/streams/types.js';
import {
  ALERT_RULES,
  alertId,
  type Alert,
  type AlertRule,
  type AlertState,
} from '../domain/monitoring/types.js';
import type { AlertNotifier, AlertStore, Catalog, Delivery, Metrics } from '../ports.js';
import { StreamObserver } from './stream-observer.js';

// The notifier port moved to api/ports.ts; re-exported so older import paths keep compiling.

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

/**
 * Evaluates the freshness rules (api/domain/monitoring/rules.ts) of every live stream on a timer and
 * keeps one alert episode per (stream, rule): opened when the rule trips, resolved when it clears.
 * The StreamObserver gathers what the rules judge.
 */
export class AlertEvaluator {
  private readonly intervalMs: number;
  private readonly rules: ReadonlySet<AlertRule>;
  private readonly settings: RuleSettings;
  private readonly observer: StreamObserver;
  private readonly notifyRetryMs: number;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly retryAt = new Map<string, number>();
  private readonly abort = new AbortController();
  private timer?: NodeJS.Timeout;
  private running?: Promise<Evaluation>;

  constructor(private readonly opts: EvaluatorOptions) {
    this.intervalMs = opts.intervalMs ?? 15_000;
    this.rules = new Set(opts.rules ?? ALERT_RULES);
    this.settings = { rules: this.rules, loadMonitor: opts.loadMonitor ?? DEFAULT_LOAD_MONITOR };
    this.observer = new StreamObserver({
      delivery: opts.delivery,
      metrics: opts.metrics,
      now: opts.now,
      rules: this.rules,
      reconcileHours: opts.reconcileHours ?? 24,
    });
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
    this.observer.retain(seen);
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
        const now = this.opts.now().getTime();
        tripped = trippedRules(await this.observer.observe(stream, now), now, this.settings);
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
}
