import { z } from 'zod';
import { listVersions } from '../../domain/streams/read-streams.js';
import { defineRoute } from '../../http/route.js';
import { StreamParams, authErrors } from '../params.js';
import { JsonSchemaObject, SchemaChangeSchema } from './schemas.js';

export const ListVersionsResponse = z.object({
  versions: z.array(
    z.object({
      version: z.number().int(),
      schema: JsonSchemaObject,
      createdAt: z.string(),
      changes: z.array(SchemaChangeSchema),
    }),
  ),
});
export type ListVersionsResponse = z.infer<typeof ListVersionsResponse>;

export const listVersionsRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/streams/{stream}/versions',
  operationId: 'listStreamVersions',
  summary: 'Every schema version of a stream, oldest first',
  description:
    'Admin keys, and consumer keys scoped to the stream. Each version with its schema and the changes from the one before.',
  tags: ['streams'],
  access: { kind: 'tenant', action: 'read', stream: true },
  params: StreamParams,
  responses: { 200: { description: 'Versions', schema: ListVersionsResponse }, ...authErrors },
  handler: async ({ c, ctx, params }) =>
    c.json({ versions: await listVersions({ ctx, input: { tenant: params.tenant, name: params.stream } }) }),
});
