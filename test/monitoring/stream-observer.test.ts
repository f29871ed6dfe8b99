import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../api/domain/monitoring/counters.js';
import { ALERT_RULES, type AlertRule } from '../../api/domain/monitoring/types.js';
import { StreamObserver } from '../../api/monitoring/stream-observer.js';
import type { Counters, MinutePoint } from '../../api/ports.js';
import { makeStream } from '../support/stream.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-05-01T00:00:00.000Z');

/** Minute counters held in memory; every range read is recorded, so the test sees what was read. */
function setup(rules: readonly AlertRule[] = ALERT_RULES) {
  const h = {
    clock: T0,
    points: new Map<number, MinutePoint>(),
    reads: [] as [number, number][],
    statusReads: 0,
    seen: undefined as number | undefined,
    add(minute: number, delta: Partial<Counters>) {
      const p = h.points.get(minute) ?? { minute, ...emptyCounters() };
      for (const [k, v] of Object.entries(delta) as [keyof Counters, number][]) p[k] += v;
      h.points.set(minute, p);
    },
    observer: undefined as unknown as StreamObserver,
  };
  h.observer = new StreamObserver({
    delivery: {
      status: async () => {
        h.statusReads++;
        return { pendingRecords: 0 };
      },
    },
    metrics: {
      series: async (_tenant, _stream, from, to) => {
        h.reads.push([from, to]);
        return [...h.points.values()].filter((p) => p.minute >= from && p.minute <= to);
      },
      lastReceivedAt: () => h.seen,
    },
    now: () => new Date(h.clock),
    rules: new Set(rules),
    reconcileHours: 24,
  });
  return h;
}

describe('StreamObserver', () => {
  const watched = makeStream({ createdAt: new Date(T0).toISOString(), freshness: { maxSilenceMinutes: 10 } });

  it('reads the minute counters for silence only when needed, and only since the newest minute seen', async () => {
    const h = setup(['silence']);
    h.add(T0 + MIN, { received: 2 });
    // Younger than the window: nothing to read.
    expect(await h.observer.observe(watched, T0 + 5 * MIN)).toEqual({
      stream: watched,
      status: { pendingRecords: 0 },
      lastReceivedAt: undefined,
      lastReceivedMinute: undefined,
    });
    expect(h.reads).toEqual([]);
    expect(h.statusReads).toBe(0);

    expect((await h.observer.observe(watched, T0 + 11 * MIN)).lastReceivedMinute).toBe(T0 + MIN);
    expect(h.reads).toEqual([[T0 + MIN, T0 + 11 * MIN]]);

    h.add(T0 + 11 * MIN, { received: 1 });
    expect((await h.observer.observe(watched, T0 + 12 * MIN)).lastReceivedMinute).toBe(T0 + 11 * MIN);
    expect(h.reads[1]).toEqual([T0 + 2 * MIN, T0 + 12 * MIN]);
    expect((await h.observer.observe(watched, T0 + 30 * MIN)).lastReceivedMinute).toBe(T0 + 11 * MIN);
    expect(h.reads[2]).toEqual([T0 + 20 * MIN, T0 + 30 * MIN]);

    // A record this process saw inside the window decides it without a read.
    h.seen = T0 + 29 * MIN;
    expect(await h.observer.observe(watched, T0 + 31 * MIN)).toMatchObject({ lastReceivedAt: T0 + 29 * MIN });
    expect(h.reads).toHaveLength(3);
  });

  it('reads completed hours once, and again at most every 5 minutes while they show a deficit', async () => {
    const h = setup(['reconciliation']);
    const stream = makeStream({
      createdAt: new Date(T0).toISOString(),
      buffering: { intervalSeconds: 60, sizeMiB: 5 },
    });
    h.add(T0 + 10 * MIN, { accepted: 5 });
    h.add(T0 + 20 * MIN, { loadedRows: 5 });
    h.add(T0 + HOUR + 10 * MIN, { accepted: 3 });

    expect((await h.observer.observe(stream, T0 + HOUR + 6 * MIN)).reconcile).toEqual({
      windowMs: 6 * MIN,
      origin: T0,
      hours: [],
    });
    expect(h.reads).toEqual([]);

    const now = T0 + 2 * HOUR + 7 * MIN;
    h.clock = now;
    expect((await h.observer.observe(stream, now)).reconcile!.hours).toEqual([
      { accepted: 5, loadedHead: 0, loadedTail: 5 },
      { accepted: 3, loadedHead: 0, loadedTail: 0 },
    ]);
    expect(h.reads).toEqual([[T0, T0 + 2 * HOUR + 6 * MIN - 1]]);

    // The deficit stands, but the sums were read less than 5 minutes ago.
    h.add(T0 + HOUR + 30 * MIN, { loadedRows: 3 });
    h.clock = now + 4 * MIN;
    expect((await h.observer.observe(stream, h.clock)).reconcile!.hours[1].loadedTail).toBe(0);
    expect(h.reads).toHaveLength(1);

    // Late counters are picked up by the re-read; once balanced, nothing more is read.
    h.clock = now + 5 * MIN;
    expect((await h.observer.observe(stream, h.clock)).reconcile!.hours[1].loadedTail).toBe(3);
    expect(h.reads).toHaveLength(2);
    h.clock = now + 11 * MIN;
    await h.observer.observe(stream, h.clock);
    expect(h.reads).toHaveLength(2);
  });

  it('reads the delivery status only for the rules that judge it, and forgets streams it is not told to keep', async () => {
    const h = setup(['load_delay', 'silence']);
    h.add(T0 + 11 * MIN, { received: 1 });
    await h.observer.observe(watched, T0 + 12 * MIN);
    expect(h.statusReads).toBe(1);
    expect(h.reads).toEqual([[T0 + 2 * MIN, T0 + 12 * MIN]]);

    h.observer.retain(new Set([`${watched.tenant}/${watched.name}`]));
    await h.observer.observe(watched, T0 + 13 * MIN);
    expect(h.reads[1]).toEqual([T0 + 11 * MIN, T0 + 13 * MIN]);

    h.observer.retain(new Set());
    await h.observer.observe(watched, T0 + 14 * MIN);
    expect(h.reads[2]).toEqual([T0 + 4 * MIN, T0 + 14 * MIN]);
    expect(h.statusReads).toBe(3);
  });
});
