import { describe, expect, it } from 'vitest';
import { addLagSample, lagSeries, type LagSample } from '../../web/src/metrics.js';

const T = 1_700_000_000;

describe('addLagSample', () => {
  it('appends readings in time order', () => {
    let s: LagSample[] = [];
    s = addLagSample(s, [T, 1], 600);
    s = addLagSample(s, [T + 2, 3], 600);
    expect(s).toEqual([
      [T, 1],
      [T + 2, 3],
    ]);
  });

  it('keeps only the window before the newest reading, however the polls were spaced', () => {
    const s = addLagSample(
      [
        [T - 900, 9],
        [T - 601, 8],
        [T - 600, 7],
        [T - 1, 6],
      ],
      [T, 5],
      600,
    );
    expect(s).toEqual([
      [T - 600, 7],
      [T - 1, 6],
      [T, 5],
    ]);
  });

  it('drops readings not older than the new one when the clock goes back', () => {
    const s = addLagSample(
      [
        [T - 10, 1],
        [T, 2],
        [T + 5, 3],
      ],
      [T, 4],
      600,
    );
    expect(s).toEqual([
      [T - 10, 1],
      [T, 4],
    ]);
  });
});

describe('lagSeries', () => {
  it('gives uPlot one x array of epoch seconds and one y series', () => {
    expect(
      lagSeries([
        [T, 1.5],
        [T + 2, 0],
      ]),
    ).toEqual({ x: [T, T + 2], ys: [[1.5, 0]] });
    expect(lagSeries([])).toEqual({ x: [], ys: [[]] });
  });
});
