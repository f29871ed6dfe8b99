import { z } from 'zod';
import { presentStream } from '../../domain/streams/present.js';
import { updateStream } from '../../domain/streams/update-stream.js';
import { defineRoute } from '../../http/route.js';
import { FieldErrorSchema, ProblemSchema, StreamParams, authErrors, badRequest } from '../params.js';
import { SchemaChangeSchema, StreamSchema, StreamSpecFields } from './schemas.js';

export const UpdateStreamBody = z
  .object({
    description: StreamSpecFields.description,
    schema: StreamSpecFields.schema.optional(),
    piiFields: StreamSpecFields.piiFields,
    clusterBy: StreamSpecFields.clusterBy,
    compatibility: StreamSpecFields.compatibility,
    freshness: StreamSpecFields.freshness,
    buffering: StreamSpecFields.buffering,
    dedupe: z.unknown().optional().describe('Immutable after creation; rejected with 400.'),
    entity: z.unknown().optional().describe('Immutable after creation; rejected with 400.'),
    cdc: z.unknown().optional().describe('Immutable after creation; rejected with 400.'),
  })
  .strict();
export const UpdateStreamQuery = z.object({ dryRun: z.enum(['true', 'false']).optional() });
export const DryRunResponse = z.object({
  dryRun: z.literal(true),
  compatible: z.boolean(),
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  changes: z.array(SchemaChangeSchema),
  violations: z.array(FieldErrorSchema),
  ddl: z.array(z.string()),
});
export type UpdateStreamBody = z.infer<typeof UpdateStreamBody>;
export type DryRunResponse = z.infer<typeof DryRunResponse>;

export const updateStreamRoute = defineRoute({
  method: 'patch',
  path: '/v1/tenants/{tenant}/streams/{stream}',
  operationId: 'updateStream',
  summary:
    'Change a stream; a compatible new schema becomes version n+1 (dryRun=true: verdict, diff and DDL only)',
  description:
    'Tenant admin keys only. The warehouse is altered before the new version takes records. dedupe, ' +
    'entity and cdc cannot change (400). 409 when the schema is not compatible under the stream’s compatibility ' +
    '(`errors` lists each violation), when the stream was deleted, or when it changed concurrently (retry).',
  tags: ['streams'],
  access: { kind: 'tenant', action: 'manage', stream: false },
  params: StreamParams,
  query: UpdateStreamQuery,
  body: UpdateStreamBody,
  responses: {
    200: {
      description: 'The updated stream, or with dryRun the verdict',
      schema: z.union([StreamSchema, DryRunResponse]),
    },
    ...badRequest,
    ...authErrors,
    409: {
      description:
        'Incompatible schema (errors lists every offending field and rule), a deleted stream, or a concurrent change',
      schema: ProblemSchema,
      contentType: 'application/problem+json',
    },
  },
  handler: async ({ c, ctx, params, query, body }) => {
    const result = await updateStream({
      ctx,
      input: { tenant: params.tenant, name: params.stream, patch: body, dryRun: query.dryRun === 'true' },
    });
    return c.json('dryRun' in result ? result : presentStream(result));
  },
});
