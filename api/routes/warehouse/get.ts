import { getWarehouseBinding } from '../../domain/tenants/warehouse.js';
import { defineRoute } from '../../http/route.js';
import { TenantParams, authErrors } from '../params.js';
import { WarehouseBindingSchema } from './schemas.js';

export const getWarehouseRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/warehouse',
  operationId: 'getWarehouseBinding',
  summary: 'Where a tenant’s warehouse objects live',
  description:
    'The platform admin key, or an admin key of the tenant. `source: tenant` with the tenant’s own Snowflake ' +
    'account (and the ARN its key is read from, never the key), or `source: default` with the shared account ' +
    '(in local mode: engine duckdb, the tenant’s own database file).',
  tags: ['tenants'],
  access: { kind: 'tenant', action: 'manage', stream: false, orPlatform: true },
  params: TenantParams,
  responses: { 200: { description: 'The binding', schema: WarehouseBindingSchema }, ...authErrors },
  handler: async ({ c, ctx, params }) =>
    c.json(await getWarehouseBinding({ ctx, input: { tenant: params.tenant } })),
});
