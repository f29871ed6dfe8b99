import { z } from 'zod';
import { listTenants } from '../../domain/tenants/verbs.js';
import { defineRoute } from '../../http/route.js';

export const ListTenantsResponse = z.object({
  tenants: z.array(z.object({ name: z.string(), createdAt: z.string() })),
});
export type ListTenantsResponse = z.infer<typeof ListTenantsResponse>;

export const listTenantsRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants',
  operationId: 'listTenants',
  summary: 'List tenants (platform admin)',
  description: 'Platform admin key only (403 for tenant keys). Every tenant with its creation time.',
  tags: ['tenants'],
  access: { kind: 'platform' },
  responses: { 200: { description: 'Tenants', schema: ListTenantsResponse } },
  handler: async ({ c, ctx }) => c.json(await listTenants({ ctx, input: undefined })),
});
