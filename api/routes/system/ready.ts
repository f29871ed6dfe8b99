import { z } from 'zod';
import { loadReadiness } from '../../domain/monitoring/load-state.js';
import { defineRoute } from '../../http/route.js';

export const ReadyResponse = z.object({
  ready: z.boolean(),
  checks: z.object({
    catalog: z.string(),
    buffers: z.string(),
    loading: z
      .string()
      .describe("'ok', or each stuck or degraded stream with its reason (tenant/stream state: reason | ...)"),
  }),
  streams: z
    .array(
      z.object({
        tenant: z.string(),
        stream: z.string(),
        loadState: z.enum(['stuck', 'degraded']),
        oldestUnloadedAgeSeconds: z.number(),
        reason: z.string(),
      }),
    )
    .optional()
    .describe('Streams whose loading is stuck or degraded (present only when there are any)'),
});

export const readyRoute = defineRoute({
  method: 'get',
  path: '/ready',
  operationId: 'ready',
  summary:
    'Readiness: the catalog answers, the buffers are under their watermark, and no stream is stuck or degraded',
  description:
    'Public: no key needed. 200 when the catalog answers, delivery buffers are under their watermark and every ' +
    "stream's loads are healthy; 503 with the same body, naming the failing check and the streams whose oldest " +
    'unloaded record is too old or whose loads are degraded (a load balancer should stop routing here).',
  tags: ['operations'],
  access: { kind: 'public' },
  responses: {
    200: { description: 'Ready', schema: ReadyResponse },
    503: { description: 'Not ready', schema: ReadyResponse },
  },
  handler: async ({ c, ctx }) => {
    const { catalog, delivery, loadMonitor } = ctx.services;
    const [catalogCheck, backlog] = await Promise.all([
      catalog.ping().then(
        () => 'ok',
        () => 'unreachable',
      ),
      delivery.backlog?.() ?? Promise.resolve([]),
    ]);
    const pressure = delivery.pressure();
    const loading = loadReadiness(backlog, ctx.services.now().getTime(), loadMonitor);
    const ready = catalogCheck === 'ok' && pressure.ok && loading.ok;
    return c.json(
      {
        ready,
        checks: { catalog: catalogCheck, buffers: pressure.detail, loading: loading.detail },
        ...(loading.streams.length > 0
          ? {
              streams: loading.streams.map((s) => ({
                ...s,
                loadState: s.loadState as 'stuck' | 'degraded',
              })),
            }
          : {}),
      },
      ready ? 200 : 503,
    );
  },
});
