import type { DeliveryStatus, MinutePoint } from '../../ports.js';
import type { Stream } from '../streams/types.js';
import { loadStuck, type LoadMonitorSettings } from './load-state.js';
import { ALERT_RULES, type AlertRule } from './types.js';

/**
 * The freshness alert rules, as pure functions of what the evaluator observed about one stream. They
 * read nothing and remember nothing: the evaluator gathers, these judge.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
export const DEFAULT_MAX_LOAD_DELAY_MINUTES = 5;
/** Other processes flush their minute counters every few seconds; an hour is judged only after that. */
const FLUSH_SLACK_MS = MINUTE;

/** What the evaluator knows about one stream at one moment. */
export interface Observation {
  stream: Stream;
  status: DeliveryStatus;
  /** Exact time this process last saw a record of the stream, when it did (epoch ms). */
  lastReceivedAt?: number;
  /** Start of the newest minute the counters show records received in, as far as they were read. */
  lastReceivedMinute?: number;
  /** The completed hours reconciliation judges; absent when the rule is not evaluated. */
  reconcile?: Reconciliation;
}

export interface RuleSettings {
  rules: ReadonlySet<AlertRule>;
  loadMonitor: LoadMonitorSettings;
}

/** The rules that trip for the observed stream at `now`, with the message each alert carries. */
export function trippedRules(o: Observation, now: number, s: RuleSettings): Map<AlertRule, string> {
  const judge: Record<AlertRule, () => string | undefined> = {
    silence: () => silence(o, now),
    load_delay: () => loadDelay(o.stream, o.status, now),
    reconciliation: () => (o.reconcile ? reconciliation(o.reconcile) : undefined),
    load_errors: () => loadErrors(o.status),
    // Fires while an object keeps failing (data that cannot be salvaged, a dependency that stays
    // down); resolves once it loads.
    load_stuck: () => loadStuck(o.status, now, s.loadMonitor),
  };
  const tripped = new Map<AlertRule, string>();
  for (const rule of ALERT_RULES) {
    if (!s.rules.has(rule)) continue;
    const message = judge[rule]();
    if (message) tripped.set(rule, message);
  }
  return tripped;
}

/** The silence window of a stream at `now`, or undefined when it has no limit or is younger than the window. */
export function silenceWindow(
  stream: Pick<Stream, 'freshness' | 'createdAt'>,
  now: number,
): { minutes: number; start: number; startMinute: number } | undefined {
  const minutes = stream.freshness?.maxSilenceMinutes;
  if (!minutes) return undefined;
  const start = now - minutes * MINUTE;
  // A stream younger than the window has not been silent for that long, whatever it received.
  if (Date.parse(stream.createdAt) > start) return undefined;
  return { minutes, start, startMinute: start - (start % MINUTE) };
}

/**
 * Where the minute counters must be read from to judge silence, or undefined when what this process
 * saw already decides it (no limit, a young stream, or a record seen inside the window).
 */
export function silenceCountersFrom(
  stream: Pick<Stream, 'freshness' | 'createdAt'>,
  now: number,
  lastReceivedAt: number | undefined,
): number | undefined {
  const window = silenceWindow(stream, now);
  if (!window || (lastReceivedAt !== undefined && lastReceivedAt >= window.start)) return undefined;
  return window.startMinute;
}

/** `silence`: no record received for the stream's `maxSilenceMinutes`. */
export function silence(
  o: Pick<Observation, 'stream' | 'lastReceivedAt' | 'lastReceivedMinute'>,
  now: number,
): string | undefined {
  const window = silenceWindow(o.stream, now);
  if (!window) return undefined;
  const seen = o.lastReceivedAt;
  if (seen !== undefined && seen >= window.start) return undefined;
  const minute = o.lastReceivedMinute;
  if (minute !== undefined && minute >= window.startMinute) return undefined;
  const last = Math.max(seen ?? -1, minute ?? -1);
  const since = last >= 0 ? `since ${new Date(last).toISOString()}` : `in the last ${window.minutes} minutes`;
  return `No records received ${since} (limit ${window.minutes} minutes).`;
}

/** `load_delay`: the oldest acknowledged record is still not loaded after `maxLoadDelayMinutes`. */
export function loadDelay(
  stream: Pick<Stream, 'freshness'>,
  status: DeliveryStatus,
  now: number,
): string | undefined {
  if (!status.oldestUnloadedAt) return undefined;
  const maxMinutes = stream.freshness?.maxLoadDelayMinutes ?? DEFAULT_MAX_LOAD_DELAY_MINUTES;
  if (now - Date.parse(status.oldestUnloadedAt) <= maxMinutes * MINUTE) return undefined;
  return `Records acknowledged at ${status.oldestUnloadedAt} are not loaded after ${maxMinutes} minutes (${status.pendingRecords} pending).`;
}

/** `load_errors`: the last load attempt failed, and nothing loaded since. */
export function loadErrors(status: DeliveryStatus): string | undefined {
  const err = status.lastLoadError;
  if (!err) return undefined;
  if (status.lastLoadedAt && Date.parse(err.at) <= Date.parse(status.lastLoadedAt)) return undefined;
  return `Loading fails since ${err.at}: ${err.message}`;
}

/**
 * One hour [S, S + 1 h): records accepted in it, rows loaded in [S, S + w) (counted only when S is
 * the look-back's start) and rows loaded in [S + w, S + 1 h + w). The tails of consecutive hours tile time.
 */
export interface HourSums {
  accepted: number;
  loadedHead: number;
  loadedTail: number;
}

/** The completed hours reconciliation judges, with their sums. */
export interface Reconciliation {
  /** The delivery window w: every accepted record must be loaded within it. */
  windowMs: number;
  /** Start of the look-back (an hour boundary). */
  origin: number;
  /** One entry per hour from `origin`, in order. */
  hours: HourSums[];
}

/**
 * The hours reconciliation can judge at `now`: from `origin` (the look-back's start, never before the
 * hour the stream was created in) to `lastDueEnd` (the end of the newest hour whose loads are all in:
 * its window and the flush slack have passed). Empty when `lastDueEnd <= origin`.
 */
export function reconcileWindow(
  stream: Pick<Stream, 'buffering' | 'createdAt'>,
  now: number,
  lookBackHours: number,
): { windowMs: number; origin: number; lastDueEnd: number } {
  const windowMs = stream.buffering.intervalSeconds * 1000 + 5 * MINUTE;
  const lastDueEnd = Math.floor((now - windowMs - FLUSH_SLACK_MS) / HOUR) * HOUR;
  const created = Date.parse(stream.createdAt);
  const origin = Math.max(lastDueEnd - lookBackHours * HOUR, created - (created % HOUR));
  return { windowMs, origin, lastDueEnd };
}

/** The sums of the hour starting at `start` from minute counters covering [start, start + 1 h + w). */
export function hourSums(points: MinutePoint[], start: number, windowMs: number): HourSums {
  const sums: HourSums = { accepted: 0, loadedHead: 0, loadedTail: 0 };
  for (const p of points) {
    if (p.minute >= start && p.minute < start + HOUR) sums.accepted += p.accepted;
    if (p.minute >= start && p.minute < start + windowMs) sums.loadedHead += p.loadedRows;
    else if (p.minute >= start + windowMs && p.minute < start + HOUR + windowMs)
      sums.loadedTail += p.loadedRows;
  }
  return sums;
}

/**
 * `reconciliation`: every accepted record must be loaded within the delivery window w (loadedRows
 * counts raw loads only, so rejected records, loaded into quarantine, are left out on both sides).
 * Loads are counted when they happen, not when their records arrived, so hours are compared
 * cumulatively: for each completed hour ending at E, rows loaded in [O, E + w) must cover records
 * accepted in [O, E), O being the start of the look-back. Names the hour the standing deficit began in.
 */
export function reconciliation(r: Reconciliation): string | undefined {
  let deficit = 0;
  let since: number | undefined;
  r.hours.forEach((h, i) => {
    deficit += h.accepted - h.loadedTail - (i === 0 ? h.loadedHead : 0);
    if (deficit <= 0) since = undefined;
    else since ??= r.origin + i * HOUR;
  });
  if (deficit <= 0 || since === undefined) return undefined;
  return `${deficit} accepted records since ${new Date(since).toISOString()} were not loaded within ${Math.round(r.windowMs / MINUTE)} minutes.`;
}
