import { z } from 'zod';
import { defineRoute } from '../../http/route.js';

export const ReadyResponse = z.object({
  ready: z.boolean(),
  checks: z.object({ catalog: z.string(), buffers: z.string() }),
});

export const readyRoute = defineRoute({
  method: 'get',
  path: '/ready',
  operationId: 'ready',
  summary: 'Readiness: the catalog answers and the buffers are under their watermark',
  description:
    'Public: no key needed. 200 when the catalog answers and delivery buffers are under their watermark; ' +
    '503 with the same body, naming the failing check, when not (a load balancer should stop routing here).',
  tags: ['operations'],
  access: { kind: 'public' },
  responses: {
    200: { description: 'Ready', schema: ReadyResponse },
    503: { description: 'Not ready', schema: ReadyResponse },
  },
  handler: async ({ c, ctx }) => {
    const { catalog, delivery } = ctx.services;
    const catalogCheck = await catalog.ping().then(
      () => 'ok',
      () => 'unreachable',
    );
    const pressure = delivery.pressure();
    const ready = catalogCheck === 'ok' && pressure.ok;
    return c.json({ ready, checks: { catalog: catalogCheck, buffers: pressure.detail } }, ready ? 200 : 503);
  },
});
