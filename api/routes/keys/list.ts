import { z } from 'zod';
import { listKeys } from '../../domain/keys/verbs.js';
import { defineRoute } from '../../http/route.js';
import { TenantParams, authErrors } from '../params.js';
import { KeySchema } from './schemas.js';

export const ListKeysResponse = z.object({ keys: z.array(KeySchema) });
export type ListKeysResponse = z.infer<typeof ListKeysResponse>;

export const listKeysRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/keys',
  operationId: 'listKeys',
  summary: 'List the tenant’s keys (never their secrets)',
  description:
    'Tenant admin keys only. Every key of the tenant, revoked ones with `revokedAt`; secrets are never stored.',
  tags: ['keys'],
  access: { kind: 'tenant', action: 'manage', stream: false },
  params: TenantParams,
  responses: { 200: { description: 'Keys', schema: ListKeysResponse }, ...authErrors },
  handler: async ({ c, ctx, params }) => c.json(await listKeys({ ctx, input: params })),
});
