import { bindWarehouse } from '../../domain/tenants/warehouse.js';
import { WarehouseCheckProblemSchema } from '../../http/problem-schema.js';
import { defineRoute } from '../../http/route.js';
import { ProblemSchema, TenantParams, badRequest } from '../params.js';
import { WarehouseBindingBody, WarehouseBindingSchema, tenantNotFound } from './schemas.js';

export const putWarehouseRoute = defineRoute({
  method: 'put',
  path: '/v1/tenants/{tenant}/warehouse',
  operationId: 'putWarehouseBinding',
  summary: 'Bind a tenant to its own Snowflake account (platform admin)',
  description:
    'Platform admin key only. The tenant’s streams, pipes, dynamic tables and masking policies are created in ' +
    'this account (its database, warehouse and storage integration) instead of the shared one. Checked before it ' +
    'is saved: the private key is read from Secrets Manager by `privateKeySecretArn`, a session is opened with it ' +
    'and `SELECT CURRENT_ACCOUNT()` must answer; a failure is 422 whose `step` names where (`secret`, `connect`, ' +
    '`query`). Only the ARN is stored, never the key. 400 names an invalid field; 404 when the tenant does not ' +
    'exist; 409 `tenant_has_streams` when the account, database or storage integration would change under ' +
    'existing streams (the key, user, role and warehouse may change any time), and 409 ' +
    '`warehouse_bindings_unsupported` in local mode, where each tenant has its own DuckDB file.',
  tags: ['tenants'],
  access: { kind: 'platform' },
  params: TenantParams,
  body: WarehouseBindingBody,
  responses: {
    200: { description: 'Bound; the binding as stored', schema: WarehouseBindingSchema },
    ...badRequest,
    ...tenantNotFound,
    409: {
      description: 'The tenant has streams elsewhere, or this server runs in local mode',
      schema: ProblemSchema,
      contentType: 'application/problem+json',
    },
    422: {
      description: 'The binding failed its check; `step` names where',
      schema: WarehouseCheckProblemSchema,
      contentType: 'application/problem+json',
    },
  },
  handler: async ({ c, ctx, params, body }) =>
    c.json(await bindWarehouse({ ctx, input: { tenant: params.tenant, spec: body } })),
});
