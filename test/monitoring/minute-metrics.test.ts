import { describe, expect, it } from 'vitest';
import { DynamoMetricsStore } from '../../api/adapters/dynamodb/index.js';
import { MinuteMetrics } from '../../api/monitoring/minute-metrics.js';
import type { MetricsStore, MinutePoint } from '../../api/ports.js';
import { useDynalite } from '../support/dynalite.js';

const client = useDynalite('metrics');

/** The real DynamoDB store, with writes that fail on demand (after `okWrites` more succeed). */
class FlakyStore implements MetricsStore {
  down = false;
  okWrites = 0;
  writes = 0;
  constructor(readonly inner: MetricsStore) {}
  async addMinutes(tenant: string, stream: string, points: MinutePoint[]): Promise<void> {
    if (this.down) {
      if (this.okWrites === 0) throw new Error('injected: ProvisionedThroughputExceededException');
      this.okWrites--;
    }
    this.writes++;
    await this.inner.addMinutes(tenant, stream, points);
  }
  getMinutes(tenant: string, stream: string, fromMs: number, toMs: number): Promise<MinutePoint[]> {
    return this.inner.getMinutes(tenant, stream, fromMs, toMs);
  }
}

const MIN = 60_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % MIN);

async function storedTotals(store: MetricsStore, tenant: string, stream: string, minutes: number) {
  const points = await store.getMinutes(tenant, stream, T0, T0 + minutes * MIN);
  let received = 0;
  let accepted = 0;
  for (const p of points) {
    received += p.received;
    accepted += p.accepted;
  }
  return { received, accepted };
}

describe('MinuteMetrics flush', () => {
  it('loses no counts when the store fails (fully and part way) and then recovers; later flushes still work', async () => {
    const store = new FlakyStore(new DynamoMetricsStore(client(), 'metrics'));
    let clock = T0;
    const m = new MinuteMetrics(store, () => clock, 0);
    const sent = { a: 0, b: 0 };
    const add = (stream: 'a' | 'b', n: number) => {
      m.add('acme', stream, { received: n, accepted: n });
      sent[stream] += n;
    };
    add('a', 3);
    add('b', 4);
    clock += MIN;
    add('a', 5);
    store.down = true;
    await expect(m.flush()).rejects.toThrow(/injected/);
    // Part way: one stream-minute is written, the rest fail and are merged back.
    add('b', 7);
    store.okWrites = 1;
    await expect(m.flush()).rejects.toThrow(/injected/);
    clock += MIN;
    add('a', 11);
    // Two flushes queued behind a failing one: each fails on its own, none poisons the next.
    const [x, y] = await Promise.allSettled([m.flush(), m.flush()]);
    expect([x.status, y.status]).toEqual(['rejected', 'rejected']);
    expect(m.backlog().pending).toBe(4);
    store.down = false;
    await m.flush();
    expect(m.backlog()).toEqual({ pending: 0, dropped: 0 });
    expect(await storedTotals(store, 'acme', 'a', 5)).toEqual({ received: sent.a, accepted: sent.a });
    expect(await storedTotals(store, 'acme', 'b', 5)).toEqual({ received: sent.b, accepted: sent.b });
    // And the flush after that still writes.
    add('a', 13);
    await m.flush();
    expect(await storedTotals(store, 'acme', 'a', 5)).toEqual({ received: sent.a, accepted: sent.a });
    expect(sent).toEqual({ a: 32, b: 11 });
  });

  it('counts what arrives during a failing flush and shows unflushed counts in series', async () => {
    const store = new FlakyStore(new DynamoMetricsStore(client(), 'metrics'));
    const m = new MinuteMetrics(store, () => T0, 0);
    store.down = true;
    m.add('acme', 'c', { received: 2 });
    const failing = m.flush();
    m.add('acme', 'c', { received: 3 });
    await expect(failing).rejects.toThrow(/injected/);
    const series = await m.series('acme', 'c', T0, T0);
    expect(series.map((p) => p.received)).toEqual([5]);
    store.down = false;
    await m.close();
    expect(await storedTotals(store, 'acme', 'c', 1)).toEqual({ received: 5, accepted: 0 });
  });

  it('bounds what it keeps while the store stays down: the oldest stream-minutes go first', async () => {
    const store = new FlakyStore(new DynamoMetricsStore(client(), 'metrics'));
    let clock = T0;
    const m = new MinuteMetrics(store, () => clock, 0, 5);
    store.down = true;
    for (let i = 0; i < 20; i++) {
      m.add('acme', 'd', { received: 1 });
      await expect(m.flush()).rejects.toThrow(/injected/);
      expect(m.backlog().pending).toBeLessThanOrEqual(5);
      clock += MIN;
    }
    expect(m.backlog()).toEqual({ pending: 5, dropped: 15 });
    store.down = false;
    await m.flush();
    const points = await store.getMinutes('acme', 'd', T0, T0 + 19 * MIN);
    expect(points.filter((p) => p.received > 0).map((p) => (p.minute - T0) / MIN)).toEqual([
      15, 16, 17, 18, 19,
    ]);
  });
});
