import { Metrics as EmfEmitter, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from 'pino';
import { COUNTER_FIELDS, emptyCounters } from '../domain/monitoring/counters.js';
import type { Counters, Metrics, MinutePoint } from '../ports.js';
import {
  CLOUDWATCH_NAMESPACE,
  CLOUDWATCH_SERVICE,
  COUNTER_METRICS,
  RESPONSE_METRICS,
} from './cloudwatch-names.js';

type ResponseMetric = keyof typeof RESPONSE_METRICS;

/**
 * CloudWatch metrics for AWS mode, written as Embedded Metric Format lines on stdout (Powertools), which
 * CloudWatch Logs turns into metrics: no API call, nothing to batch, nothing lost when a call fails.
 * Counts accumulate in memory during an invocation and `publish` (once per invocation, from
 * api/lambda.ts) writes one line per stream touched, tenant and stream as properties (see
 * cloudwatch-names.ts for why they are not dimensions), and one line for the answers given.
 */
export class EmfMetrics {
  private readonly emitter: EmfEmitter;
  /** "tenant/stream" → counts since the last publish. */
  private pending = new Map<string, Counters>();
  private responses = new Map<ResponseMetric, number>();

  constructor(opts: { logger?: Logger } = {}) {
    this.emitter = new EmfEmitter({
      namespace: CLOUDWATCH_NAMESPACE,
      serviceName: CLOUDWATCH_SERVICE,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  /** Wraps the minute counters so every delta (ingest, delivery, loads) is counted here too. */
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
    const id = `${tenant}/${stream}`;
    let c = this.pending.get(id);
    if (!c) this.pending.set(id, (c = emptyCounters()));
    for (const f of COUNTER_FIELDS) {
      const v = delta[f];
      if (v) c[f] += v;
    }
  }

  /** One HTTP answer; only the classes in RESPONSE_METRICS are counted. */
  countResponse(status: number): void {
    const metric: ResponseMetric | undefined =
      status === 503
        ? 'unavailable'
        : status === 429
          ? 'throttled'
          : status >= 500
            ? 'serverError'
            : undefined;
    if (metric) this.responses.set(metric, (this.responses.get(metric) ?? 0) + 1);
  }

  /** Writes what was counted since the last call, then forgets it. Writes nothing when nothing was counted. */
  publish(): void {
    const streams = this.pending;
    const responses = this.responses;
    this.pending = new Map();
    this.responses = new Map();
    for (const [id, c] of streams) {
      const slash = id.indexOf('/');
      let any = false;
      for (const f of COUNTER_FIELDS) {
        if (!c[f]) continue;
        any = true;
        const { name, unit } = COUNTER_METRICS[f];
        this.emitter.addMetric(name, unit === 'Bytes' ? MetricUnit.Bytes : MetricUnit.Count, c[f]);
      }
      if (!any) continue;
      this.emitter.addMetadata('tenant', id.slice(0, slash));
      this.emitter.addMetadata('stream', id.slice(slash + 1));
      this.emitter.publishStoredMetrics();
    }
    if (responses.size === 0) return;
    for (const [metric, n] of responses)
      this.emitter.addMetric(RESPONSE_METRICS[metric], MetricUnit.Count, n);
    this.emitter.publishStoredMetrics();
  }
}
