import { z } from 'zod';
import { createKey } from '../../domain/keys/verbs.js';
import { defineRoute } from '../../http/route.js';
import { StreamName, TenantParams, authErrors, badRequest } from '../params.js';
import { KeySchema, RoleSchema } from './schemas.js';

export const CreateKeyBody = z
  .object({
    name: z.string().min(1).max(100),
    role: RoleSchema,
    streams: z
      .array(z.union([z.literal('*'), StreamName]))
      .min(1)
      .max(1000)
      .default(['*']),
    pii: z.boolean().default(false),
  })
  .strict();
export const CreateKeyResponse = KeySchema.extend({ secret: z.string() });
export type CreateKeyBody = z.infer<typeof CreateKeyBody>;
export type CreateKeyResponse = z.infer<typeof CreateKeyResponse>;

export const createKeyRoute = defineRoute({
  method: 'post',
  path: '/v1/tenants/{tenant}/keys',
  operationId: 'createKey',
  summary: 'Create a scoped API key; the secret is shown once',
  description:
    'Tenant admin keys only. Role `producer` may send records, `consumer` may read, `admin` may do both and ' +
    "manage; `streams` is ['*'] or a list of stream names; `pii: true` unmasks PII fields. The secret is in " +
    'this answer only. 400 names an invalid field.',
  tags: ['keys'],
  access: { kind: 'tenant', action: 'manage', stream: false },
  params: TenantParams,
  body: CreateKeyBody,
  responses: { 201: { description: 'Created', schema: CreateKeyResponse }, ...badRequest, ...authErrors },
  handler: async ({ c, ctx, params, body }) =>
    c.json(await createKey({ ctx, input: { tenant: params.tenant, ...body } }), 201),
});
