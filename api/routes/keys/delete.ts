import { z } from 'zod';
import { revokeKey } from '../../domain/keys/verbs.js';
import { defineRoute } from '../../http/route.js';
import { TenantName, authErrors } from '../params.js';

export const RevokeKeyParams = z.object({
  tenant: TenantName,
  id: z.string().regex(/^[a-z0-9]{20}$/, 'key id must be 20 lower-case letters or digits'),
});
export type RevokeKeyParams = z.infer<typeof RevokeKeyParams>;

export const revokeKeyRoute = defineRoute({
  method: 'delete',
  path: '/v1/tenants/{tenant}/keys/{id}',
  operationId: 'revokeKey',
  summary: 'Revoke a key; it fails on its next request',
  description:
    'Tenant admin keys only. The key answers 401 from its next request on. 404 when the key is not the ' +
    'tenant’s or is already revoked; 400 when the id is not 20 lower-case letters or digits.',
  tags: ['keys'],
  access: { kind: 'tenant', action: 'manage', stream: false },
  params: RevokeKeyParams,
  responses: { 204: { description: 'Revoked' }, ...authErrors },
  handler: async ({ c, ctx, params }) => {
    await revokeKey({ ctx, input: params });
    return c.body(null, 204);
  },
});
