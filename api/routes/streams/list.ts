import { z } from 'zod';
import { presentStream } from '../../domain/streams/present.js';
import { listStreams } from '../../domain/streams/read-streams.js';
import { defineRoute } from '../../http/route.js';
import { TenantParams, authErrors } from '../params.js';
import { StreamSchema } from './schemas.js';

export const ListStreamsResponse = z.object({ streams: z.array(StreamSchema) });
export type ListStreamsResponse = z.infer<typeof ListStreamsResponse>;

export const listStreamsRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/streams',
  operationId: 'listStreams',
  summary: 'List the streams this key can see',
  description: 'Admin and consumer keys: the streams in the key’s scope, deleted ones with `deletedAt`.',
  tags: ['streams'],
  access: { kind: 'tenant', action: 'read', stream: false },
  params: TenantParams,
  responses: { 200: { description: 'Streams', schema: ListStreamsResponse }, ...authErrors },
  handler: async ({ c, ctx, params }) => {
    const streams = await listStreams({ ctx, input: params });
    return c.json({ streams: streams.map(presentStream) });
  },
});
