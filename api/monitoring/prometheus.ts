import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Catalog, Counters, Delivery, Metrics, MinutePoint } from '../ports.js';
import { routeTemplate } from './route-template.js';

export { routeTemplate };

export const OTHER = '_other';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What the scrape-time collector reads for the per-stream gauges. */
export interface PromSources {
  catalog: Pick<Catalog, 'listTenants' | 'listStreams'>;
  delivery: Pick<Delivery, 'status' | 'pressure'>;
  now: () => Date;
  /** Bytes acknowledged but not yet delivered; the gauge is left out when absent. */
  bufferBytes?: () => number;
}

export interface PromOptions {
  /** Distinct (tenant, stream) label pairs kept; later ones are counted under `_other`. Default 500. */
  maxStreams?: number;
  /** Node process metrics (event loop, heap, GC). Off by default: they hook process-wide observers. */
  processMetrics?: boolean;
}

/**
 * Keeps label cardinality bounded: the first `max` (tenant, stream) pairs get their own series, the
 * rest share one. A scrape can never grow without bound however many streams tenants create.
 */
class StreamLabels {
  private readonly known = new Set<string>();
  constructor(private readonly max: number) {}

  of(tenant: string, stream: string): { tenant: string; stream: string } {
    const id = `${tenant}/${stream}`;
    if (this.known.has(id)) return { tenant, stream };
    if (this.known.size < this.max) {
      this.known.add(id);
      return { tenant, stream };
    }
    return { tenant: OTHER, stream: OTHER };
  }
}

/**
 * Prometheus exposition for one app. Its registry belongs to this instance (never the global default),
 * so two apps in one process — tests — keep separate counts.
 */
export class PromMetrics {
  readonly registry = new Registry();
  private readonly labels: StreamLabels;
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;
  private readonly records: Counter<'tenant' | 'stream' | 'outcome'>;
  private readonly deliveredBytes: Counter<'tenant' | 'stream'>;
  private readonly loadedRows: Counter<'tenant' | 'stream'>;
  private readonly loadErrors: Counter<'tenant' | 'stream'>;
  private readonly loadFailed: Counter<'tenant' | 'stream'>;
  private readonly changes: Counter<'tenant' | 'stream' | 'op'>;
  private sources?: PromSources;
  private snapshot?: Promise<StreamRow[]>;

  constructor(opts: PromOptions = {}) {
    this.labels = new StreamLabels(opts.maxStreams ?? 500);
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'tributary_http_requests_total',
      help: 'HTTP requests by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'tributary_http_request_duration_seconds',
      help: 'HTTP request duration by method and route template.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.records = new Counter({
      name: 'tributary_ingest_records_total',
      help: 'Records received by ingest, by outcome (accepted, rejected, duplicate).',
      labelNames: ['tenant', 'stream', 'outcome'],
      registers,
    });
    this.deliveredBytes = new Counter({
      name: 'tributary_delivered_bytes_total',
      help: 'Bytes delivered to the lake.',
      labelNames: ['tenant', 'stream'],
      registers,
    });
    this.loadedRows = new Counter({
      name: 'tributary_loaded_rows_total',
      help: 'Rows loaded into the warehouse (raw and quarantine).',
      labelNames: ['tenant', 'stream'],
      registers,
    });
    this.loadErrors = new Counter({
      name: 'tributary_load_errors_total',
      help: 'Failed load attempts.',
      labelNames: ['tenant', 'stream'],
      registers,
    });
    this.loadFailed = new Counter({
      name: 'tributary_load_failed_records_total',
      help: 'Accepted records the warehouse refused, moved to quarantine with reason load_failed.',
      labelNames: ['tenant', 'stream'],
      registers,
    });
    this.changes = new Counter({
      name: 'tributary_change_events_total',
      help: 'Change events accepted by cdc streams, by op (c, u, d, r; tombstone: accepted, not stored).',
      labelNames: ['tenant', 'stream', 'op'],
      registers,
    });
    const lag: Gauge<'tenant' | 'stream'> = new Gauge({
      name: 'tributary_stream_lag_seconds',
      help: 'Age of the oldest acknowledged record not yet loaded (0 when caught up); the maximum across folded streams.',
      labelNames: ['tenant', 'stream'],
      registers,
      collect: async () => {
        const rows = await this.streamSnapshot();
        lag.reset();
        for (const r of rows) lag.set(r.labels, r.lagSeconds);
      },
    });
    const pending: Gauge<'tenant' | 'stream'> = new Gauge({
      name: 'tributary_stream_pending_records',
      help: 'Acknowledged records not yet loaded.',
      labelNames: ['tenant', 'stream'],
      registers,
      collect: async () => {
        const rows = await this.streamSnapshot();
        pending.reset();
        for (const r of rows) pending.set(r.labels, r.pending);
      },
    });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Attaches what the per-stream gauges read at scrape time (the delivery exists only after metrics do). */
  collectFrom(sources: PromSources): void {
    this.sources = sources;
    // Registered only once there is something to read: an unset gauge would report a misleading 0.
    if (!this.registry.getSingleMetric('tributary_buffer_pressure_ok')) {
      const pressure: Gauge = new Gauge({
        name: 'tributary_buffer_pressure_ok',
        help: '1 while delivery buffers are under their high watermark, 0 past it.',
        registers: [this.registry],
        collect: () => pressure.set(this.sources!.delivery.pressure().ok ? 1 : 0),
      });
    }
    if (sources.bufferBytes && !this.registry.getSingleMetric('tributary_buffer_bytes')) {
      const buffer: Gauge = new Gauge({
        name: 'tributary_buffer_bytes',
        help: 'Bytes acknowledged and not yet delivered.',
        registers: [this.registry],
        collect: () => {
          const read = this.sources!.bufferBytes;
          if (read) buffer.set(read());
        },
      });
    }
  }

  /** One finished request. `route` is the template (e.g. /v1/tenants/{tenant}/keys), never the raw path. */
  observe(route: string, status: number, ms: number, method = 'GET'): void {
    const m = METHODS.has(method) ? method : 'OTHER';
    this.requests.inc({ method: m, route, status: String(status) });
    this.duration.observe({ method: m, route }, ms / 1000);
  }

  /** Hono middleware feeding `observe`; register it first so it times everything after it. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        this.observe(
          routeTemplate(routePath(c, -1)),
          c.res.status,
          performance.now() - started,
          c.req.method,
        );
      }
    };
  }

  /** Wraps the minute counters so every delta also counts here: ingest, delivery and loads all report through it. */
  instrument(inner: Metrics): Metrics {
    return {
      add: (tenant: string, stream: string, delta: Partial<Counters>, at?: number) => {
        inner.add(tenant, stream, delta, at);
        this.count(tenant, stream, delta);
      },
      series: (tenant: string, stream: string, fromMs: number, toMs: number): Promise<MinutePoint[]> =>
        inner.series(tenant, stream, fromMs, toMs),
      ...(inner.lastReceivedAt
        ? { lastReceivedAt: (tenant: string, stream: string) => inner.lastReceivedAt!(tenant, stream) }
        : {}),
      flush: () => inner.flush(),
      close: () => inner.close(),
    };
  }

  count(tenant: string, stream: string, delta: Partial<Counters>): void {
    const l = this.labels.of(tenant, stream);
    if (delta.accepted) this.records.inc({ ...l, outcome: 'accepted' }, delta.accepted);
    if (delta.rejected) this.records.inc({ ...l, outcome: 'rejected' }, delta.rejected);
    if (delta.duplicates) this.records.inc({ ...l, outcome: 'duplicate' }, delta.duplicates);
    if (delta.deliveredBytes) this.deliveredBytes.inc(l, delta.deliveredBytes);
    if (delta.loadedRows) this.loadedRows.inc(l, delta.loadedRows);
    if (delta.loadErrors) this.loadErrors.inc(l, delta.loadErrors);
    if (delta.loadFailed) this.loadFailed.inc(l, delta.loadFailed);
    if (delta.cdcCreates) this.changes.inc({ ...l, op: 'c' }, delta.cdcCreates);
    if (delta.cdcUpdates) this.changes.inc({ ...l, op: 'u' }, delta.cdcUpdates);
    if (delta.cdcDeletes) this.changes.inc({ ...l, op: 'd' }, delta.cdcDeletes);
    if (delta.cdcReads) this.changes.inc({ ...l, op: 'r' }, delta.cdcReads);
    if (delta.cdcTombstones) this.changes.inc({ ...l, op: 'tombstone' }, delta.cdcTombstones);
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** One read of every stream's delivery status per scrape, shared by the gauges that need it. */
  private streamSnapshot(): Promise<StreamRow[]> {
    this.snapshot ??= this.readStreams().finally(() => (this.snapshot = undefined));
    return this.snapshot;
  }

  private async readStreams(): Promise<StreamRow[]> {
    const src = this.sources;
    if (!src) return [];
    const now = src.now().getTime();
    const rows: StreamRow[] = [];
    const folded: StreamRow = { labels: { tenant: OTHER, stream: OTHER }, lagSeconds: 0, pending: 0 };
    let anyFolded = false;
    for (const tenant of await src.catalog.listTenants()) {
      for (const stream of await src.catalog.listStreams(tenant.name)) {
        if (stream.deletedAt) continue;
        const status = await src.delivery.status(tenant.name, stream.name);
        const lagSeconds = status.oldestUnloadedAt
          ? Math.max(0, (now - Date.parse(status.oldestUnloadedAt)) / 1000)
          : 0;
        const labels = this.labels.of(tenant.name, stream.name);
        if (labels.tenant !== OTHER) {
          rows.push({ labels, lagSeconds, pending: status.pendingRecords });
        } else {
          anyFolded = true;
          folded.lagSeconds = Math.max(folded.lagSeconds, lagSeconds);
          folded.pending += status.pendingRecords;
        }
      }
    }
    if (anyFolded) rows.push(folded);
    return rows;
  }
}

interface StreamRow {
  labels: { tenant: string; stream: string };
  lagSeconds: number;
  pending: number;
}
