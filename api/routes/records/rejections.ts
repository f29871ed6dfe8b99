import { z } from 'zod';
import { listRejections } from '../../domain/records/read.js';
import { defineRoute } from '../../http/route.js';
import { FieldErrorSchema, StreamParams, authErrors, badRequest } from '../params.js';

export const ListRejectionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});
export const ListRejectionsResponse = z.object({
  total: z.number().int(),
  rejections: z.array(
    z.object({
      record: z.unknown(),
      errors: z.array(FieldErrorSchema),
      reason: z
        .enum(['validation', 'load_failed'])
        .describe(
          'validation: refused at ingest. load_failed: accepted, then refused by the warehouse; record is then the lake line as a JSON string (bytes that are not UTF-8 written as \\xNN), and batchId/receivedAt are empty and index -1 when the line lost them',
        ),
      receivedAt: z.string(),
      batchId: z.string(),
      index: z.number().int(),
    }),
  ),
});
export type ListRejectionsResponse = z.infer<typeof ListRejectionsResponse>;

export const listRejectionsRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/streams/{stream}/rejections',
  operationId: 'listRejections',
  summary: 'Quarantined records with their errors, newest first',
  description:
    'Admin keys, and consumer keys scoped to the stream. Each rejected record as received (PII masked unless ' +
    'the key has `pii`) with the errors that name its fields, its batch and index.',
  tags: ['records'],
  access: { kind: 'tenant', action: 'read', stream: true },
  params: StreamParams,
  query: ListRejectionsQuery,
  responses: {
    200: { description: 'Rejections', schema: ListRejectionsResponse },
    ...badRequest,
    ...authErrors,
  },
  handler: async ({ c, ctx, params, query }) =>
    c.json(
      await listRejections({
        ctx,
        input: { tenant: params.tenant, stream: params.stream, limit: query.limit },
      }),
    ),
});
