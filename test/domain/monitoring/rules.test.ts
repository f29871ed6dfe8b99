import { describe, expect, it } from 'vitest';
import { DEFAULT_LOAD_MONITOR } from '../../../api/domain/monitoring/load-state.js';
import {
  hourSums,
  loadDelay,
  loadErrors,
  reconcileWindow,
  reconciliation,
  silence,
  silenceCountersFrom,
  silenceWindow,
  trippedRules,
  type HourSums,
  type Observation,
} from '../../../api/domain/monitoring/rules.js';
import { ALERT_RULES, type AlertRule } from '../../../api/domain/monitoring/types.js';
import type { DeliveryStatus, MinutePoint } from '../../../api/ports.js';
import { emptyCounters } from '../../../api/domain/monitoring/counters.js';
import { makeStream } from '../../support/stream.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-05-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const created = (ms: number) => ({ createdAt: iso(ms) });
const hour = (accepted: number, loadedTail: number, loadedHead = 0): HourSums => ({
  accepted,
  loadedHead,
  loadedTail,
});

describe('silence', () => {
  const watched = makeStream({ ...created(T0), freshness: { maxSilenceMinutes: 10 } });

  it('has no window without a limit, or while the stream is younger than the window', () => {
    expect(silenceWindow(makeStream(created(T0)), T0 + 60 * MIN)).toBeUndefined();
    expect(silenceWindow({ ...watched, ...created(T0 + MIN) }, T0 + 10 * MIN)).toBeUndefined();
    // Exactly as old as the window: judged.
    expect(silenceWindow(watched, T0 + 10 * MIN)).toEqual({ minutes: 10, start: T0, startMinute: T0 });
    expect(silenceWindow(watched, T0 + 10 * MIN + 1500)).toEqual({
      minutes: 10,
      start: T0 + 1500,
      startMinute: T0,
    });
  });

  it('needs the counters only when this process saw no record inside the window', () => {
    const now = T0 + 20 * MIN + 30_000;
    expect(silenceCountersFrom(watched, now, undefined)).toBe(T0 + 10 * MIN);
    expect(silenceCountersFrom(watched, now, T0 + 10 * MIN)).toBe(T0 + 10 * MIN);
    expect(silenceCountersFrom(watched, now, T0 + 10 * MIN + 30_000)).toBeUndefined();
    expect(silenceCountersFrom(makeStream(), now, undefined)).toBeUndefined();
  });

  it('fires when nothing came in the window, naming the last record or the window', () => {
    const now = T0 + 11 * MIN;
    expect(silence({ stream: watched }, now)).toBe(
      'No records received in the last 10 minutes (limit 10 minutes).',
    );
    expect(silence({ stream: watched, lastReceivedMinute: T0 }, now)).toBe(
      'No records received since 2026-05-01T00:00:00.000Z (limit 10 minutes).',
    );
    // The newer of what this process saw and what the counters show.
    expect(silence({ stream: watched, lastReceivedMinute: T0, lastReceivedAt: T0 + 30_000 }, now)).toBe(
      'No records received since 2026-05-01T00:00:30.000Z (limit 10 minutes).',
    );
  });

  it('stays quiet for a record inside the window, seen here or in the minute counters', () => {
    const now = T0 + 11 * MIN + 30_000;
    expect(silence({ stream: watched, lastReceivedAt: T0 + MIN + 30_000 }, now)).toBeUndefined();
    // Minute granularity: the minute the window starts in counts.
    expect(silence({ stream: watched, lastReceivedMinute: T0 + MIN }, now)).toBeUndefined();
    expect(silence({ stream: watched, lastReceivedAt: T0 + MIN + 29_999 }, now)).toMatch(/since/);
    expect(silence({ stream: makeStream(created(T0)) }, T0 + 600 * MIN)).toBeUndefined();
    expect(silence({ stream: { ...watched, ...created(T0 + 2 * MIN) } }, now)).toBeUndefined();
  });
});

describe('load_delay', () => {
  const now = T0 + 60 * MIN;
  const waiting = (minutes: number): DeliveryStatus => ({
    oldestUnloadedAt: iso(now - minutes * MIN),
    pendingRecords: 4,
  });

  it('fires past maxLoadDelayMinutes (default 5), not at it', () => {
    expect(loadDelay(makeStream(), waiting(5), now)).toBeUndefined();
    expect(loadDelay(makeStream(), { ...waiting(5), oldestUnloadedAt: iso(now - 5 * MIN - 1) }, now)).toBe(
      `Records acknowledged at ${iso(now - 5 * MIN - 1)} are not loaded after 5 minutes (4 pending).`,
    );
    const patient = makeStream({ freshness: { maxSilenceMinutes: 100, maxLoadDelayMinutes: 30 } });
    expect(loadDelay(patient, waiting(29), now)).toBeUndefined();
    expect(loadDelay(patient, waiting(31), now)).toContain('not loaded after 30 minutes');
  });

  it('stays quiet when caught up', () => {
    expect(loadDelay(makeStream(), { pendingRecords: 0 }, now)).toBeUndefined();
  });
});

describe('load_errors', () => {
  const error = { at: iso(T0 + MIN), message: 'IO Error: disk full' };

  it('fires for an error newer than the last load, or with no load yet', () => {
    expect(loadErrors({ pendingRecords: 1, lastLoadError: error })).toBe(
      'Loading fails since 2026-05-01T00:01:00.000Z: IO Error: disk full',
    );
    expect(loadErrors({ pendingRecords: 1, lastLoadError: error, lastLoadedAt: iso(T0) })).toMatch(
      /^Loading fails since/,
    );
  });

  it('stays quiet once something loaded at or after the error', () => {
    expect(loadErrors({ pendingRecords: 0, lastLoadError: error, lastLoadedAt: error.at })).toBeUndefined();
    expect(
      loadErrors({ pendingRecords: 0, lastLoadError: error, lastLoadedAt: iso(T0 + 2 * MIN) }),
    ).toBeUndefined();
    expect(loadErrors({ pendingRecords: 0 })).toBeUndefined();
  });
});

describe('reconciliation', () => {
  it('judges the completed hours whose delivery window and flush slack have passed', () => {
    // intervalSeconds 60: w = 6 minutes; hour [0, 1 h) is due at 1 h + 6 min + 1 min slack.
    const stream = makeStream({ ...created(T0), buffering: { intervalSeconds: 60, sizeMiB: 5 } });
    expect(reconcileWindow(stream, T0 + HOUR + 7 * MIN - 1, 24)).toEqual({
      windowMs: 6 * MIN,
      origin: T0,
      lastDueEnd: T0,
    });
    expect(reconcileWindow(stream, T0 + HOUR + 7 * MIN, 24).lastDueEnd).toBe(T0 + HOUR);
    // The look-back starts no earlier than the hour the stream was created in...
    const midHour = { ...stream, ...created(T0 + 20 * MIN) };
    expect(reconcileWindow(midHour, T0 + 5 * HOUR, 24).origin).toBe(T0);
    // ...and no earlier than lookBackHours before the last due hour.
    expect(reconcileWindow(stream, T0 + 30 * HOUR, 24)).toMatchObject({
      origin: T0 + 5 * HOUR,
      lastDueEnd: T0 + 29 * HOUR,
    });
  });

  it('sums accepted records per hour and loads in its head and tail windows', () => {
    const w = 6 * MIN;
    const at = (minute: number, accepted: number, loadedRows: number): MinutePoint => ({
      ...emptyCounters(),
      minute,
      accepted,
      loadedRows,
    });
    const points = [
      at(T0 - MIN, 100, 100), // before the hour: neither
      at(T0, 5, 1), // head
      at(T0 + w - MIN, 0, 2), // head
      at(T0 + w, 0, 4), // tail
      at(T0 + HOUR - MIN, 7, 8), // last minute of the hour: tail
      at(T0 + HOUR + w - MIN, 1000, 16), // loads of the hour's records, still its tail
      at(T0 + HOUR + w, 0, 32), // the next hour's tail
    ];
    expect(hourSums(points, T0, w)).toEqual({ accepted: 12, loadedHead: 3, loadedTail: 28 });
    expect(hourSums([], T0, w)).toEqual(hour(0, 0, 0));
  });

  it('fires on a cumulative deficit, from the hour it began', () => {
    const r = { windowMs: 6 * MIN, origin: T0 };
    expect(reconciliation({ ...r, hours: [] })).toBeUndefined();
    expect(reconciliation({ ...r, hours: [hour(10, 10)] })).toBeUndefined();
    // The first hour's head counts: its records may load before its tail starts.
    expect(reconciliation({ ...r, hours: [hour(10, 4, 6)] })).toBeUndefined();
    expect(reconciliation({ ...r, hours: [hour(10, 10), hour(5, 2, 3)] })).toBe(
      '3 accepted records since 2026-05-01T01:00:00.000Z were not loaded within 6 minutes.',
    );
    // A later hour's surplus covers an earlier deficit (loads late across an hour boundary)...
    expect(reconciliation({ ...r, hours: [hour(10, 7), hour(5, 8)] })).toBeUndefined();
    // ...and a deficit that cleared and came back is dated from its return.
    expect(reconciliation({ ...r, hours: [hour(10, 7), hour(5, 8), hour(4, 0)] })).toBe(
      '4 accepted records since 2026-05-01T02:00:00.000Z were not loaded within 6 minutes.',
    );
    expect(reconciliation({ ...r, hours: [hour(10, 7), hour(5, 4)] })).toBe(
      '4 accepted records since 2026-05-01T00:00:00.000Z were not loaded within 6 minutes.',
    );
  });

  it('never fires when more loaded than was accepted', () => {
    expect(
      reconciliation({ windowMs: 5 * MIN + 500, origin: T0, hours: [hour(0, 3), hour(1, 0)] }),
    ).toBeUndefined();
  });
});

describe('trippedRules', () => {
  const now = T0 + 3 * HOUR;
  const stream = makeStream({ ...created(T0), freshness: { maxSilenceMinutes: 10 } });
  const failing: DeliveryStatus = {
    pendingRecords: 3,
    oldestUnloadedAt: iso(now - 20 * MIN),
    lastLoadError: { at: iso(now - 19 * MIN), message: 'IO Error' },
    loadFailure: {
      since: iso(now - 19 * MIN),
      attempts: 9,
      kind: 'dependency',
      message: 'IO Error',
      object: 'raw/k.ndjson',
    },
  };
  const everything: Observation = {
    stream,
    status: failing,
    reconcile: { windowMs: 6 * MIN, origin: T0, hours: [hour(10, 0)] },
  };
  const settings = (rules: readonly AlertRule[] = ALERT_RULES) => ({
    rules: new Set(rules),
    loadMonitor: DEFAULT_LOAD_MONITOR,
  });

  it('returns every rule that trips, with its message', () => {
    const tripped = trippedRules(everything, now, settings());
    expect([...tripped.keys()].sort()).toEqual([...ALERT_RULES].sort());
    expect(tripped.get('silence')).toBe(silence(everything, now));
    expect(tripped.get('load_stuck')).toBe(
      `Loading raw/k.ndjson has failed 9 times since ${iso(now - 19 * MIN)} (the warehouse or the disk is unavailable): IO Error`,
    );
  });

  it('judges only the rules it is given', () => {
    expect([...trippedRules(everything, now, settings(['load_errors', 'silence'])).keys()].sort()).toEqual([
      'load_errors',
      'silence',
    ]);
    expect(trippedRules(everything, now, settings([])).size).toBe(0);
  });

  it('returns nothing for a healthy stream, and skips reconciliation without its hours', () => {
    const healthy: Observation = {
      stream,
      status: { pendingRecords: 0, lastLoadedAt: iso(now - MIN) },
      lastReceivedAt: now - MIN,
    };
    expect(trippedRules(healthy, now, settings()).size).toBe(0);
    expect(trippedRules({ ...everything, reconcile: undefined }, now, settings()).has('reconciliation')).toBe(
      false,
    );
  });
});
