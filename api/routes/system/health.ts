import { z } from 'zod';
import { defineRoute } from '../../http/route.js';

export const HealthResponse = z.object({ status: z.literal('ok') });

export const healthRoute = defineRoute({
  method: 'get',
  path: '/health',
  operationId: 'health',
  summary: 'Liveness',
  description:
    'Answers 200 while the process runs. Public: no key needed. It checks no dependency; see /ready.',
  tags: ['operations'],
  access: { kind: 'public' },
  responses: { 200: { description: 'The process is alive', schema: HealthResponse } },
  handler: ({ c }) => Promise.resolve(c.json({ status: 'ok' as const })),
});
