import { z } from 'zod';
import { previewRecords } from '../../domain/records/read.js';
import { defineRoute } from '../../http/route.js';
import { StreamParams, authErrors, badRequest } from '../params.js';

export const ListRecordsQuery = z.object({
  layer: z.enum(['raw', 'deduped', 'entity']).default('raw'),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});
export const ListRecordsResponse = z.object({
  layer: z.enum(['raw', 'deduped', 'entity']),
  total: z.number().int(),
  records: z.array(z.record(z.string(), z.unknown())),
});
export type ListRecordsQuery = z.infer<typeof ListRecordsQuery>;
export type ListRecordsResponse = z.infer<typeof ListRecordsResponse>;

export const listRecordsRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/streams/{stream}/records',
  operationId: 'previewRecords',
  summary: 'Preview a layer, newest first (PII masked unless the key has pii)',
  description:
    'Admin keys, and consumer keys scoped to the stream. Up to `limit` rows of the raw, deduped or entity ' +
    'layer with the total; PII fields read *** unless the key has `pii`. 400 for a layer the stream lacks.',
  tags: ['records'],
  access: { kind: 'tenant', action: 'read', stream: true },
  params: StreamParams,
  query: ListRecordsQuery,
  responses: { 200: { description: 'Rows', schema: ListRecordsResponse }, ...badRequest, ...authErrors },
  handler: async ({ c, ctx, params, query }) =>
    c.json(await previewRecords({ ctx, input: { tenant: params.tenant, stream: params.stream, ...query } })),
});
