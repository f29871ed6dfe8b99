import { describe, expect, it } from 'vitest';
import { roundRatios, runOrder, type SdkRun } from '../../bench/sdk-report.js';

const run = (tool: SdkRun['tool'], recordsPerSecond: number): SdkRun => ({
  tool,
  seconds: 10,
  recordsPerSecond,
  acked: recordsPerSecond * 10,
  notAcked: 0,
  serverCpuMsPer1k: 1,
});

describe('the SDK bench’s run order', () => {
  it('puts every tool first, second and third once in three rounds', () => {
    const order = runOrder(3);
    expect(order).toEqual(['wrk', 'sdk', 'wrk-keyed', 'sdk', 'wrk-keyed', 'wrk', 'wrk-keyed', 'wrk', 'sdk']);
    for (const tool of ['wrk', 'sdk', 'wrk-keyed'] as const)
      expect(new Set([0, 1, 2].map((r) => order.slice(3 * r, 3 * r + 3).indexOf(tool)))).toEqual(
        new Set([0, 1, 2]),
      );
  });

  it('compares the SDK with wrk inside each round', () => {
    const rates = { wrk: [100, 200, 50], sdk: [80, 100, 50], 'wrk-keyed': [1, 1, 1] };
    const runs = runOrder(3).map((tool, i) => run(tool, rates[tool][Math.floor(i / 3)]));
    expect(roundRatios(runs, 3)).toEqual([0.8, 0.5, 1]);
  });
});
