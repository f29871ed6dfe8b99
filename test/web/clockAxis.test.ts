import { describe, expect, it } from 'vitest';
import { MINUTE_STEPS, clockLabel, clockRange } from '../../web/src/clockAxis.js';

// 2023-11-14T22:13:20Z, in epoch seconds as uPlot passes them.
const T = 1_700_000_000;

describe('clockLabel', () => {
  it('reads epoch seconds and shows the hour and minute of that instant', () => {
    expect(clockLabel(T, 'UTC')).toBe('22:13');
    expect(clockLabel(T + 40, 'UTC')).toBe('22:14');
    expect(clockLabel(T, 'America/New_York')).toBe('17:13');
    expect(clockLabel(T, 'Asia/Kolkata')).toBe('03:43');
  });

  it('uses a 24-hour clock with two digits, midnight as 00', () => {
    expect(clockLabel(Date.UTC(2026, 0, 1, 0, 5) / 1000, 'UTC')).toBe('00:05');
    expect(clockLabel(Date.UTC(2026, 0, 1, 9, 0) / 1000, 'UTC')).toBe('09:00');
    expect(clockLabel(Date.UTC(2026, 0, 1, 23, 59, 59) / 1000, 'UTC')).toBe('23:59');
  });

  it('defaults to the local time zone', () => {
    const d = new Date(T * 1000);
    const local = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    expect(clockLabel(T)).toBe(local);
  });
});

describe('clockRange', () => {
  it('ends at the newest sample and spans the window', () => {
    expect(clockRange(T, 600, T + 5)).toEqual([T - 600, T]);
  });

  it('ends now before the first sample, instead of at the epoch', () => {
    expect(clockRange(null, 600, T)).toEqual([T - 600, T]);
    expect(clockRange(undefined, 600, T)).toEqual([T - 600, T]);
  });
});

describe('MINUTE_STEPS', () => {
  it('never steps below a minute, so ticks of one window never share a label', () => {
    expect(Math.min(...MINUTE_STEPS)).toBe(60);
    expect(MINUTE_STEPS.every((s) => s % 60 === 0)).toBe(true);
    expect([...MINUTE_STEPS].sort((a, b) => a - b)).toEqual(MINUTE_STEPS);

    const [from, to] = clockRange(T, 600, T);
    const ticks: number[] = [];
    for (let t = Math.ceil(from / 60) * 60; t <= to; t += MINUTE_STEPS[0]) ticks.push(t);
    const labels = ticks.map((t) => clockLabel(t, 'UTC'));
    expect(labels).toEqual([
      '22:04',
      '22:05',
      '22:06',
      '22:07',
      '22:08',
      '22:09',
      '22:10',
      '22:11',
      '22:12',
      '22:13',
    ]);
  });
});
