import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentKeys } from '../../../api/domain/records/index.js';

/** The obvious O(n) least-recently-used model the real class must match. */
class Model {
  private streams: Array<{ key: string; ids: string[] }> = [];
  constructor(
    private readonly perStream: number,
    private readonly maxStreams: number,
    private readonly maxTotal: number,
  ) {}

  seen(key: string, id: string): boolean {
    let s = this.streams.find((x) => x.key === key);
    if (s === undefined) {
      s = { key, ids: [] };
      this.streams.push(s);
      if (this.streams.length > this.maxStreams) this.streams.shift();
    } else {
      this.streams = [...this.streams.filter((x) => x !== s), s];
    }
    const at = s.ids.indexOf(id);
    if (at !== -1) {
      s.ids.splice(at, 1);
      s.ids.push(id);
      return true;
    }
    s.ids.push(id);
    if (s.ids.length > this.perStream) s.ids.shift();
    while (this.streams.reduce((n, x) => n + x.ids.length, 0) > this.maxTotal) this.streams[0].ids.shift();
    this.streams = this.streams.filter((x) => x.ids.length > 0);
    return false;
  }

  get size(): number {
    return this.streams.reduce((n, x) => n + x.ids.length, 0);
  }
}

describe('RecentKeys', () => {
  it('reports an id as seen the second time, per stream', () => {
    const keys = new RecentKeys();
    expect(keys.seen('t/orders', 'a')).toBe(false);
    expect(keys.seen('t/orders', 'a')).toBe(true);
    expect(keys.seen('t/refunds', 'a')).toBe(false);
    expect(keys.size).toBe(2);
  });

  it('forgets the least recently seen id past the per-stream capacity', () => {
    const keys = new RecentKeys({ perStream: 2 });
    keys.seen('s', 'a');
    keys.seen('s', 'b');
    keys.seen('s', 'a'); // refreshes a
    keys.seen('s', 'c'); // evicts b
    expect(keys.seen('s', 'a')).toBe(true);
    expect(keys.seen('s', 'b')).toBe(false);
  });

  it('forgets the least recently used stream past maxStreams', () => {
    const keys = new RecentKeys({ maxStreams: 2 });
    keys.seen('s1', 'x');
    keys.seen('s2', 'x');
    keys.seen('s1', 'y');
    keys.seen('s3', 'x'); // evicts s2
    expect(keys.streamCount).toBe(2);
    expect(keys.seen('s1', 'x')).toBe(true);
    expect(keys.seen('s2', 'x')).toBe(false);
  });

  it('bounds the ids held across streams', () => {
    const keys = new RecentKeys({ perStream: 1000, maxStreams: 100, maxTotal: 500 });
    for (let s = 0; s < 50; s++) for (let i = 0; i < 100; i++) keys.seen(`s${s}`, `id${i}`);
    expect(keys.size).toBe(500);
  });

  it('holds 100k ids per stream by default', () => {
    const keys = new RecentKeys();
    for (let i = 0; i < 100_001; i++) keys.seen('s', String(i));
    expect(keys.size).toBe(100_000);
    expect(keys.seen('s', '1')).toBe(true);
    expect(keys.seen('s', '0')).toBe(false);
  });

  it('rejects nonsensical capacities', () => {
    expect(() => new RecentKeys({ perStream: 0 })).toThrow(RangeError);
    expect(() => new RecentKeys({ maxStreams: 1.5 })).toThrow(RangeError);
  });

  it('behaves like a least-recently-used model', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.tuple(fc.constantFrom('s1', 's2', 's3', 's4'), fc.constantFrom('a', 'b', 'c', 'd', 'e')),
          { maxLength: 80 },
        ),
        (perStream, maxStreams, maxTotal, ops) => {
          const real = new RecentKeys({ perStream, maxStreams, maxTotal });
          const model = new Model(perStream, maxStreams, maxTotal);
          for (const [s, id] of ops) {
            expect(real.seen(s, id)).toBe(model.seen(s, id));
            expect(real.size).toBe(model.size);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('RecentKeys eviction cost', () => {
  it('does not start a fresh iteration for every eviction (counted, not timed)', () => {
    // V8 leaves deleted entries as holes, and a fresh iterator walks all of them from the start:
    // one fresh iterator per eviction made the cost grow with every id ever evicted.
    let fresh = 0;
    const RealSet = Set;
    class CountingSet<T> extends RealSet<T> {
      override values(): SetIterator<T> {
        fresh++;
        return super.values();
      }
    }
    globalThis.Set = CountingSet;
    try {
      const keys = new RecentKeys({ perStream: 1000 });
      for (let i = 0; i < 50_000; i++) keys.seen('s', `id-${i}`);
      expect(keys.size).toBe(1000);
      expect(keys.seen('s', 'id-49000')).toBe(true);
      expect(keys.seen('s', 'id-48999')).toBe(false);
      // 49,000 evictions: a fresh iterator only when the kept one runs out (once per 1,000 here).
      expect(fresh).toBeLessThan(100);
    } finally {
      globalThis.Set = RealSet;
    }
  });
});
