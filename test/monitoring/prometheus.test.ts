import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Stream } from '../../api/domain/streams/types.js';
import type { Tenant } from '../../api/domain/tenants/types.js';
import { emptyCounters } from '../../api/domain/monitoring/counters.js';
import { OTHER, PromMetrics, routeTemplate } from '../../api/monitoring/prometheus.js';
import type { DeliveryStatus, Metrics, MinutePoint } from '../../api/ports.js';

/** The value of one series in the exposition text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.length === have.length && want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

/** Minute counters that only remember what they were given. */
class MemoryMetrics implements Metrics {
  added: { tenant: string; stream: string }[] = [];
  add(tenant: string, stream: string): void {
    this.added.push({ tenant, stream });
  }
  async series(_t: string, _s: string, fromMs: number): Promise<MinutePoint[]> {
    return [{ minute: fromMs, ...emptyCounters(), received: 7 }];
  }
  lastReceivedAt(): number {
    return 42;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('PromMetrics', () => {
  it('counts requests by method, route template and status, with durations', async () => {
    const prom = new PromMetrics();
    prom.observe('/v1/tenants/{tenant}/keys', 200, 12, 'GET');
    prom.observe('/v1/tenants/{tenant}/keys', 200, 30, 'GET');
    prom.observe('/v1/tenants/{tenant}/keys', 403, 2, 'POST');
    prom.observe('unmatched', 404, 1, 'BREW');
    const text = await prom.render();
    expect(
      sample(text, 'tributary_http_requests_total', {
        method: 'GET',
        route: '/v1/tenants/{tenant}/keys',
        status: '200',
      }),
    ).toBe(2);
    expect(
      sample(text, 'tributary_http_requests_total', {
        method: 'POST',
        route: '/v1/tenants/{tenant}/keys',
        status: '403',
      }),
    ).toBe(1);
    expect(
      sample(text, 'tributary_http_requests_total', { method: 'OTHER', route: 'unmatched', status: '404' }),
    ).toBe(1);
    expect(
      sample(text, 'tributary_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/v1/tenants/{tenant}/keys',
      }),
    ).toBe(2);
    expect(
      sample(text, 'tributary_http_request_duration_seconds_bucket', {
        method: 'GET',
        route: '/v1/tenants/{tenant}/keys',
        le: '0.025',
      }),
    ).toBe(1);
    expect(prom.contentType).toContain('text/plain');
  });

  it('times requests through its Hono middleware, labelled with the route template', async () => {
    const prom = new PromMetrics();
    const app = new Hono();
    app.use('*', prom.middleware());
    app.get('/v1/tenants/:tenant/streams/:stream', (c) => c.json({ ok: true }));
    await app.request('/v1/tenants/acme/streams/orders');
    await app.request('/v1/tenants/globex/streams/audit');
    await app.request('/nowhere/at/all');
    const text = await prom.render();
    expect(
      sample(text, 'tributary_http_requests_total', {
        method: 'GET',
        route: '/v1/tenants/{tenant}/streams/{stream}',
        status: '200',
      }),
    ).toBe(2);
    expect(
      sample(text, 'tributary_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
    ).toBe(1);
    expect(text).not.toContain('acme');
    expect(routeTemplate('/v1/tenants/:tenant/keys/:id')).toBe('/v1/tenants/{tenant}/keys/{id}');
  });

  it('counts what goes through the instrumented minute counters, still passing everything on', async () => {
    const prom = new PromMetrics();
    const inner = new MemoryMetrics();
    const metrics = prom.instrument(inner);
    metrics.add('acme', 'orders', { received: 5, accepted: 4, rejected: 1 });
    metrics.add('acme', 'orders', { received: 2, accepted: 1, duplicates: 1 });
    metrics.add('acme', 'orders', { deliveredBytes: 900, loadedRows: 5, loadErrors: 1, loadFailed: 2 });
    metrics.add('acme', 'orders', {
      cdcCreates: 3,
      cdcUpdates: 4,
      cdcDeletes: 0,
      cdcReads: 6,
      cdcTombstones: 2,
    });
    expect(inner.added).toHaveLength(4);
    expect((await metrics.series('acme', 'orders', 0, 1))[0].received).toBe(7);
    expect(metrics.lastReceivedAt?.('acme', 'orders')).toBe(42);
    const text = await prom.render();
    const l = { tenant: 'acme', stream: 'orders' };
    expect(sample(text, 'tributary_ingest_records_total', { ...l, outcome: 'accepted' })).toBe(5);
    expect(sample(text, 'tributary_ingest_records_total', { ...l, outcome: 'rejected' })).toBe(1);
    expect(sample(text, 'tributary_ingest_records_total', { ...l, outcome: 'duplicate' })).toBe(1);
    expect(sample(text, 'tributary_delivered_bytes_total', l)).toBe(900);
    expect(sample(text, 'tributary_loaded_rows_total', l)).toBe(5);
    expect(sample(text, 'tributary_load_errors_total', l)).toBe(1);
    expect(sample(text, 'tributary_load_failed_records_total', l)).toBe(2);
    expect(sample(text, 'tributary_change_events_total', { ...l, op: 'c' })).toBe(3);
    expect(sample(text, 'tributary_change_events_total', { ...l, op: 'u' })).toBe(4);
    expect(sample(text, 'tributary_change_events_total', { ...l, op: 'r' })).toBe(6);
    expect(sample(text, 'tributary_change_events_total', { ...l, op: 'tombstone' })).toBe(2);
    expect(sample(text, 'tributary_change_events_total', { ...l, op: 'd' })).toBeUndefined();
  });

  it('caps distinct tenant/stream label pairs and folds the rest into _other', async () => {
    const prom = new PromMetrics({ maxStreams: 3 });
    for (let i = 0; i < 10; i++) prom.count('acme', `s${i}`, { accepted: 1 });
    prom.count('acme', 's0', { accepted: 1 }); // known pairs keep their own series
    const text = await prom.render();
    const streams = new Set(
      [...text.matchAll(/tributary_ingest_records_total\{[^}]*stream="([^"]+)"/g)].map((m) => m[1]),
    );
    expect(streams).toEqual(new Set(['s0', 's1', 's2', OTHER]));
    expect(
      sample(text, 'tributary_ingest_records_total', { tenant: 'acme', stream: 's0', outcome: 'accepted' }),
    ).toBe(2);
    expect(
      sample(text, 'tributary_ingest_records_total', { tenant: OTHER, stream: OTHER, outcome: 'accepted' }),
    ).toBe(7);
  });

  it('reads lag, pending records and buffers at scrape time, folding streams past the cap', async () => {
    const now = Date.parse('2026-06-01T12:00:00.000Z');
    const tenants: Tenant[] = [{ name: 'acme', createdAt: 'x' }];
    const streams = ['a', 'b', 'c', 'gone'].map(
      (name) => ({ tenant: 'acme', name, ...(name === 'gone' ? { deletedAt: 'x' } : {}) }) as Stream,
    );
    const statuses: Record<string, DeliveryStatus> = {
      a: { oldestUnloadedAt: new Date(now - 30_000).toISOString(), pendingRecords: 3 },
      b: { pendingRecords: 0 },
      c: { oldestUnloadedAt: new Date(now - 90_000).toISOString(), pendingRecords: 5 },
    };
    let ok = true;
    const prom = new PromMetrics({ maxStreams: 2 });
    const before = await prom.render();
    expect(sample(before, 'tributary_stream_lag_seconds', { tenant: 'acme', stream: 'a' })).toBeUndefined();
    expect(before).not.toContain('tributary_buffer_pressure_ok');
    expect(before).not.toContain('tributary_buffer_bytes');

    prom.collectFrom({
      catalog: { listTenants: async () => tenants, listStreams: async () => streams },
      delivery: { status: async (_t, s) => statuses[s], pressure: () => ({ ok, detail: '' }) },
      now: () => new Date(now),
      bufferBytes: () => 4096,
    });
    let text = await prom.render();
    expect(sample(text, 'tributary_stream_lag_seconds', { tenant: 'acme', stream: 'a' })).toBe(30);
    expect(sample(text, 'tributary_stream_lag_seconds', { tenant: 'acme', stream: 'b' })).toBe(0);
    expect(sample(text, 'tributary_stream_lag_seconds', { tenant: OTHER, stream: OTHER })).toBe(90);
    expect(sample(text, 'tributary_stream_pending_records', { tenant: 'acme', stream: 'a' })).toBe(3);
    expect(sample(text, 'tributary_stream_pending_records', { tenant: OTHER, stream: OTHER })).toBe(5);
    expect(text).not.toContain('stream="gone"');
    expect(sample(text, 'tributary_buffer_bytes')).toBe(4096);
    expect(sample(text, 'tributary_buffer_pressure_ok')).toBe(1);

    ok = false;
    statuses.a = { pendingRecords: 0 };
    text = await prom.render();
    expect(sample(text, 'tributary_stream_lag_seconds', { tenant: 'acme', stream: 'a' })).toBe(0);
    expect(sample(text, 'tributary_buffer_pressure_ok')).toBe(0);
  });

  it('keeps a registry per instance', async () => {
    const a = new PromMetrics();
    const b = new PromMetrics();
    a.observe('/health', 200, 1, 'GET');
    expect(
      sample(await a.render(), 'tributary_http_requests_total', {
        method: 'GET',
        route: '/health',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(await b.render(), 'tributary_http_requests_total', {
        method: 'GET',
        route: '/health',
        status: '200',
      }),
    ).toBeUndefined();
  });
});
