import { presentStream } from '../../domain/streams/present.js';
import { getStream } from '../../domain/streams/read-streams.js';
import { defineRoute } from '../../http/route.js';
import { StreamParams, authErrors } from '../params.js';
import { StreamSchema } from './schemas.js';

export const getStreamRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/streams/{stream}',
  operationId: 'getStream',
  summary: 'Get a stream’s current spec',
  description:
    'Admin keys, and consumer keys scoped to the stream. The current schema version, keys, PII fields, ' +
    'buffering hints and freshness rules. 404 when there is no such stream.',
  tags: ['streams'],
  access: { kind: 'tenant', action: 'read', stream: true },
  params: StreamParams,
  responses: { 200: { description: 'The stream', schema: StreamSchema }, ...authErrors },
  handler: async ({ c, ctx, params }) =>
    c.json(presentStream(await getStream({ ctx, input: { tenant: params.tenant, name: params.stream } }))),
});
