import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyCounters } from '../../api/domain/monitoring/counters.js';
import { CLOUDWATCH_NAMESPACE, COUNTER_METRICS } from '../../api/monitoring/cloudwatch-names.js';
import { EmfMetrics } from '../../api/monitoring/emf-metrics.js';
import type { Metrics, MinutePoint } from '../../api/ports.js';
import { captureEmf, emfSum, type EmfLine } from '../support/emf.js';

let capture: { lines: EmfLine[]; stop: () => void };
beforeEach(() => {
  capture = captureEmf();
});
afterEach(() => capture.stop());

/** Minute counters that only remember what they were given. */
class MemoryMetrics implements Metrics {
  added: { tenant: string; stream: string; at?: number }[] = [];
  flushed = 0;
  add(tenant: string, stream: string, _d: unknown, at?: number): void {
    this.added.push({ tenant, stream, at });
  }
  async series(_t: string, _s: string, fromMs: number): Promise<MinutePoint[]> {
    return [{ minute: fromMs, ...emptyCounters(), received: 7 }];
  }
  lastReceivedAt(): number {
    return 42;
  }
  async flush(): Promise<void> {
    this.flushed++;
  }
  async close(): Promise<void> {}
}

describe('EmfMetrics', () => {
  it('writes one EMF line per stream, in the Tributary namespace with the service dimension only', () => {
    const emf = new EmfMetrics();
    emf.count('acme', 'orders', { received: 10, accepted: 8, rejected: 2 });
    emf.count('acme', 'orders', { received: 5, accepted: 5, deliveredObjects: 1, deliveredBytes: 900 });
    emf.count('globex', 'clicks', { loadedRows: 3, loadErrors: 1 });
    expect(capture.lines).toEqual([]);
    emf.publish();
    expect(capture.lines).toHaveLength(2);
    for (const line of capture.lines) {
      const [directive] = line._aws.CloudWatchMetrics;
      expect(directive.Namespace).toBe(CLOUDWATCH_NAMESPACE);
      // Tenant and stream are properties, not dimensions: no metric per stream.
      expect(directive.Dimensions).toEqual([['service']]);
      expect(line.service).toBe('tributary');
    }
    const orders = capture.lines.find((l) => l.stream === 'orders')!;
    expect(orders).toMatchObject({
      tenant: 'acme',
      RecordsReceived: 15,
      RecordsAccepted: 13,
      RecordsRejected: 2,
      DeliveredRecords: 1,
      DeliveredBytes: 900,
    });
    expect(orders._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
      Name: 'DeliveredBytes',
      Unit: 'Bytes',
    });
    // Zero counters are left out rather than written as 0.
    expect(orders).not.toHaveProperty('LoadedRows');
    expect(capture.lines.find((l) => l.stream === 'clicks')).toMatchObject({
      tenant: 'globex',
      LoadedRows: 3,
      LoadErrors: 1,
    });
  });

  it('counts 503, 500 and 429 answers on a line of their own, and ignores the rest', () => {
    const emf = new EmfMetrics();
    for (const status of [200, 201, 400, 404, 503, 503, 500, 502, 429]) emf.countResponse(status);
    emf.publish();
    expect(capture.lines).toHaveLength(1);
    expect(capture.lines[0]).toMatchObject({
      ResponsesUnavailable: 2,
      ResponsesServerError: 2,
      ResponsesThrottled: 1,
    });
  });

  it('forgets what it published, and writes nothing when nothing was counted', () => {
    const emf = new EmfMetrics();
    emf.publish();
    expect(capture.lines).toEqual([]);
    emf.count('acme', 'orders', { accepted: 1 });
    emf.publish();
    emf.publish();
    expect(emfSum(capture.lines, 'RecordsAccepted')).toBe(1);
  });

  it('names a metric for every counter', () => {
    expect(Object.keys(COUNTER_METRICS).sort()).toEqual(Object.keys(emptyCounters()).sort());
    expect(new Set(Object.values(COUNTER_METRICS).map((m) => m.name)).size).toBe(14);
  });

  it('instruments the minute counters: every delta goes to both, reads go to the minute counters', async () => {
    const inner = new MemoryMetrics();
    const emf = new EmfMetrics();
    const metrics = emf.instrument(inner);
    metrics.add('acme', 'orders', { accepted: 4 }, 1_000);
    expect(inner.added).toEqual([{ tenant: 'acme', stream: 'orders', at: 1_000 }]);
    expect((await metrics.series('acme', 'orders', 0, 0))[0].received).toBe(7);
    expect(metrics.lastReceivedAt!('acme', 'orders')).toBe(42);
    await metrics.flush();
    expect(inner.flushed).toBe(1);
    emf.publish();
    expect(emfSum(capture.lines, 'RecordsAccepted', { tenant: 'acme', stream: 'orders' })).toBe(4);
  });
});
