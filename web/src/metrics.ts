import { COUNTER_FIELDS } from '../../api/domain/monitoring/counters.js';
import type { Metrics, MinuteMetrics } from './types.js';

export type Counter = Exclude<keyof MinuteMetrics, 'minute'>;

export interface Grid {
  /** Epoch seconds, one per minute, oldest first (uPlot's time unit). */
  x: number[];
  series: Record<Counter, number[]>;
  totals: Record<Counter, number>;
}

// The API's own list, so a counter added there shows here too.
const COUNTERS: readonly Counter[] = COUNTER_FIELDS;

/**
 * Lays the API's per-minute buckets onto a complete minute grid ending now, filling quiet minutes
 * with zeros, so charts show silence as silence rather than joining distant points.
 */
export function minuteGrid(metrics: Metrics | undefined, minutes: number, now = Date.now()): Grid {
  const byMinute = new Map<number, MinuteMetrics>();
  for (const m of metrics?.minutes ?? []) byMinute.set(Math.floor(m.minute / 60_000) * 60_000, m);
  const latest = Math.max(Math.floor(now / 60_000) * 60_000, ...byMinute.keys());
  const x: number[] = [];
  const series = Object.fromEntries(COUNTERS.map((c) => [c, [] as number[]])) as Record<Counter, number[]>;
  const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  for (let i = minutes - 1; i >= 0; i--) {
    const t = latest - i * 60_000;
    x.push(t / 1000);
    const m = byMinute.get(t);
    for (const c of COUNTERS) {
      const v = m?.[c] ?? 0;
      series[c].push(v);
      totals[c] += v;
    }
  }
  return { x, series, totals };
}

/** One lag reading: [epoch seconds when sampled, lag in seconds]. */
export type LagSample = [number, number];

/**
 * Appends a reading and keeps only those of the `windowSeconds` before it, so the history spans a
 * fixed time whatever the spacing of the polls. Readings not older than the new one (a clock set
 * back) are dropped to keep the series in time order.
 */
export function addLagSample(samples: LagSample[], sample: LagSample, windowSeconds: number): LagSample[] {
  const from = sample[0] - windowSeconds;
  return [...samples.filter(([t]) => t >= from && t < sample[0]), sample];
}

/** The readings as uPlot data: one x array in epoch seconds and one y series. */
export function lagSeries(samples: LagSample[]): { x: number[]; ys: number[][] } {
  return { x: samples.map((s) => s[0]), ys: [samples.map((s) => s[1])] };
}
