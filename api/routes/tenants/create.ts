import { z } from 'zod';
import { createTenant } from '../../domain/tenants/verbs.js';
import { defineRoute } from '../../http/route.js';
import { ProblemSchema, TenantName, badRequest } from '../params.js';

export const CreateTenantBody = z.object({ name: TenantName }).strict();
export const CreateTenantResponse = z.object({
  name: z.string(),
  createdAt: z.string(),
  key: z.object({ id: z.string(), secret: z.string(), role: z.literal('admin') }),
});
export type CreateTenantBody = z.infer<typeof CreateTenantBody>;
export type CreateTenantResponse = z.infer<typeof CreateTenantResponse>;

export const createTenantRoute = defineRoute({
  method: 'post',
  path: '/v1/tenants',
  operationId: 'createTenant',
  summary: 'Create a tenant and its first admin key (platform admin)',
  description:
    'Platform admin key only (403 for tenant keys). Creates the tenant and an admin key whose secret is in ' +
    'this answer and never again. 409 when the name is taken; 400 names an invalid field.',
  tags: ['tenants'],
  access: { kind: 'platform' },
  body: CreateTenantBody,
  responses: {
    201: { description: 'Created; the admin key secret is shown once', schema: CreateTenantResponse },
    ...badRequest,
    409: {
      description: 'A tenant with this name exists',
      schema: ProblemSchema,
      contentType: 'application/problem+json',
    },
  },
  handler: async ({ c, ctx, body }) => c.json(await createTenant({ ctx, input: body }), 201),
});
