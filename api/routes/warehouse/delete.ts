import { unbindWarehouse } from '../../domain/tenants/warehouse.js';
import { defineRoute } from '../../http/route.js';
import { ProblemSchema, TenantParams } from '../params.js';
import { tenantNotFound } from './schemas.js';

export const deleteWarehouseRoute = defineRoute({
  method: 'delete',
  path: '/v1/tenants/{tenant}/warehouse',
  operationId: 'deleteWarehouseBinding',
  summary: 'Move a tenant back to the shared Snowflake account (platform admin)',
  description:
    'Platform admin key only. Removes the binding; removing one that is not there succeeds too. 409 ' +
    '`tenant_has_streams` when the tenant has streams in its own account (their data stays there; Tributary ' +
    'does not move it), and `warehouse_bindings_unsupported` in local mode.',
  tags: ['tenants'],
  access: { kind: 'platform' },
  params: TenantParams,
  responses: {
    204: { description: 'Unbound (or it was not bound)' },
    ...tenantNotFound,
    409: {
      description: 'The tenant has streams in its own account, or this server runs in local mode',
      schema: ProblemSchema,
      contentType: 'application/problem+json',
    },
  },
  handler: async ({ c, ctx, params }) => {
    await unbindWarehouse({ ctx, input: { tenant: params.tenant } });
    return c.body(null, 204);
  },
});
