import { z } from 'zod';
import { exportMetrics } from '../../domain/monitoring/prometheus.js';
import { PROBLEM_JSON, ProblemSchema } from '../../http/problem-schema.js';
import { defineRoute } from '../../http/route.js';
import { authErrors } from '../params.js';

export const prometheusRoute = defineRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'prometheusMetrics',
  summary: 'Prometheus exposition: requests, ingest counters, lag and buffers (platform key; local mode)',
  description:
    'Per-stream series are capped (the first 500 tenant/stream pairs; the rest are summed under `_other`). ' +
    'Configure the scraper with `authorization: { credentials: <platform key> }`. Local mode only: in AWS ' +
    'mode it answers 501 `local_mode_only`, and the counters are CloudWatch metrics (namespace `Tributary`, ' +
    'written as EMF by the functions).',
  tags: ['operations'],
  access: { kind: 'platform' },
  responses: {
    200: { description: 'Text exposition format 0.0.4', schema: z.string(), contentType: 'text/plain' },
    401: authErrors[401],
    403: authErrors[403],
    501: {
      description: 'AWS mode: not served (`local_mode_only`); the metrics are in CloudWatch',
      schema: ProblemSchema,
      contentType: PROBLEM_JSON,
    },
  },
  handler: async ({ ctx }) => {
    const out = await exportMetrics({ ctx, input: undefined });
    return new Response(out.body, { status: 200, headers: { 'Content-Type': out.contentType } });
  },
});
