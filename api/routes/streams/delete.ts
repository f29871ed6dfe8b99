import { deleteStream } from '../../domain/streams/delete-stream.js';
import { defineRoute } from '../../http/route.js';
import { ProblemSchema, StreamParams, authErrors } from '../params.js';

export const deleteStreamRoute = defineRoute({
  method: 'delete',
  path: '/v1/tenants/{tenant}/streams/{stream}',
  operationId: 'deleteStream',
  summary: 'Delete a stream: ingest stops, the data is kept',
  description:
    'Tenant admin keys only. Ingest answers 409 from then on; tables, lake objects and history are kept. ' +
    'Deleting a deleted stream is a no-op. 409 when the stream changed concurrently (retry).',
  tags: ['streams'],
  access: { kind: 'tenant', action: 'manage', stream: false },
  params: StreamParams,
  responses: {
    204: { description: 'Deleted' },
    ...authErrors,
    409: {
      description: 'The stream changed concurrently; retry',
      schema: ProblemSchema,
      contentType: 'application/problem+json',
    },
  },
  handler: async ({ c, ctx, params }) => {
    await deleteStream({ ctx, input: { tenant: params.tenant, name: params.stream } });
    return c.body(null, 204);
  },
});
