import type { z } from 'zod';
import { createStream } from '../../domain/streams/create-stream.js';
import { presentStream } from '../../domain/streams/present.js';
import { defineRoute } from '../../http/route.js';
import { ProblemSchema, TenantParams, authErrors, badRequest } from '../params.js';
import { CreateStreamBody, StreamSchema } from './schemas.js';

export type CreateStreamBody = z.infer<typeof CreateStreamBody>;

export const createStreamRoute = defineRoute({
  method: 'post',
  path: '/v1/tenants/{tenant}/streams',
  operationId: 'createStream',
  summary: 'Create a stream with its schema, keys and buffering hints',
  description:
    'Tenant admin keys only. Creates the warehouse tables (raw; deduped with a dedupe key; entity with an ' +
    'entity key), then the stream, which takes records at once. 400 names an unsupported schema keyword or a ' +
    'key, PII or cluster field the schema does not declare; 409 when the name is taken.',
  tags: ['streams'],
  access: { kind: 'tenant', action: 'manage', stream: false },
  params: TenantParams,
  body: CreateStreamBody,
  responses: {
    201: { description: 'Created', schema: StreamSchema },
    ...badRequest,
    ...authErrors,
    409: {
      description: 'A stream with this name exists',
      schema: ProblemSchema,
      contentType: 'application/problem+json',
    },
  },
  handler: async ({ c, ctx, params, body }) => {
    const { name, ...spec } = body;
    const stream = await createStream({ ctx, input: { tenant: params.tenant, name, spec } });
    return c.json(presentStream(stream), 201);
  },
});
