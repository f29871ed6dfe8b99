import { describe, expect, it } from 'vitest';
import { alternatives, segmentTeamCost } from '../../../bench/cost/competitors.js';

describe('Segment Team pricing', () => {
  it('includes 10,000 MTUs in the $120 base', () => {
    expect(segmentTeamCost(5_000)).toBe(120);
    expect(segmentTeamCost(10_000)).toBe(120);
  });

  it('charges each MTU band its own rate', () => {
    expect(segmentTeamCost(25_000)).toBeCloseTo(120 + 15_000 * 0.012, 9);
    expect(segmentTeamCost(4_000_000)).toBeCloseTo(
      120 + 15_000 * 0.012 + 75_000 * 0.011 + 3_900_000 * 0.01,
      6,
    );
  });
});

describe('alternatives for a volume', () => {
  it('sizes Segment by the MTUs the events need and leaves RudderStack past its ladder to a quote', () => {
    const [segment, rudderstack, tinybird] = alternatives(1e9, 200, 0.2);
    expect(segment.cost).toBeCloseTo(segmentTeamCost(4_000_000), 9);
    expect(rudderstack.cost).toBeUndefined();
    expect(rudderstack.basis).toMatch(/Enterprise, by quote/);
    expect(tinybird.cost).toBeCloseTo((200e9 / 2 ** 30) * (0.07 + 0.2 * 0.34), 9);
  });

  it('quotes RudderStack Growth when the volume fits its first rung', () => {
    expect(alternatives(1e6, 200, 0.2)[1].cost).toBe(265);
  });
});
