import { z } from 'zod';
import { streamMetrics } from '../../domain/monitoring/stream-metrics.js';
import { defineRoute } from '../../http/route.js';
import { StreamParams, authErrors, badRequest } from '../params.js';

const CountersShape = {
  received: z.number(),
  accepted: z.number(),
  rejected: z.number(),
  duplicates: z.number(),
  deliveredObjects: z.number(),
  deliveredBytes: z.number(),
  loadedRows: z.number(),
  loadErrors: z.number(),
  loadFailed: z.number(),
  cdcCreates: z.number().describe('cdc streams: accepted change events with op c'),
  cdcUpdates: z.number().describe('cdc streams: accepted change events with op u'),
  cdcDeletes: z.number().describe('cdc streams: accepted change events with op d'),
  cdcReads: z.number().describe('cdc streams: accepted snapshot reads (op r)'),
  cdcTombstones: z.number().describe('cdc streams: tombstones (null events), accepted and not stored'),
};

export const StreamMetricsQuery = z.object({ minutes: z.coerce.number().int().min(1).max(1440).default(60) });
export const StreamMetricsResponse = z.object({
  minutes: z.array(z.object({ minute: z.number(), ...CountersShape })),
  totals: z.object(CountersShape),
  lastReceivedAt: z.string().optional(),
  lastLoadedAt: z.string().optional(),
  lagSeconds: z.number(),
  oldestUnloadedAgeSeconds: z
    .number()
    .describe('Age of the oldest acknowledged record not yet loaded; 0 when caught up'),
  pendingRecords: z.number(),
  health: z.enum(['fresh', 'stale', 'failing', 'idle']),
  loadState: z
    .enum(['ok', 'retrying', 'degraded', 'stuck'])
    .describe(
      'retrying: an object failed and is retried; degraded: a dependency (disk, database file, memory) is failing, retried with backoff; stuck: an object keeps failing, or the oldest unloaded record is older than the readiness limit',
    ),
  loadStateDetail: z.string(),
  lastLoadError: z.object({ at: z.string(), message: z.string(), object: z.string().optional() }).optional(),
  loadFailure: z
    .object({
      since: z.string(),
      attempts: z.number().int(),
      kind: z.enum(['data', 'resource', 'dependency']),
      message: z.string(),
      object: z.string(),
    })
    .optional()
    .describe("The stream's longest-failing object while one is failing (local mode)"),
});
export type StreamMetricsResponse = z.infer<typeof StreamMetricsResponse>;

export const streamMetricsRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/streams/{stream}/metrics',
  operationId: 'getStreamMetrics',
  summary: 'Per-minute counters, lag, freshness and health of a stream',
  description:
    'Admin keys, and consumer keys scoped to the stream. Counters for the last `minutes` (1-1440), lag from ' +
    'receipt to load, records pending, health, and the last load error.',
  tags: ['monitoring'],
  access: { kind: 'tenant', action: 'read', stream: true },
  params: StreamParams,
  query: StreamMetricsQuery,
  responses: { 200: { description: 'Metrics', schema: StreamMetricsResponse }, ...badRequest, ...authErrors },
  handler: async ({ c, ctx, params, query }) =>
    c.json(
      await streamMetrics({
        ctx,
        input: { tenant: params.tenant, stream: params.stream, minutes: query.minutes },
      }),
    ),
});
