import { deleteWebhook } from '../../domain/monitoring/alerts.js';
import { defineRoute } from '../../http/route.js';
import { TenantParams, authErrors } from '../params.js';

export const deleteWebhookRoute = defineRoute({
  method: 'delete',
  path: '/v1/tenants/{tenant}/webhook',
  operationId: 'deleteWebhook',
  summary: 'Stop sending alerts to a webhook',
  description: 'Tenant admin keys only. Removes the webhook; removing one that is not there succeeds too.',
  tags: ['monitoring'],
  access: { kind: 'tenant', action: 'manage', stream: false },
  params: TenantParams,
  responses: { 204: { description: 'Removed (or there was none)' }, ...authErrors },
  handler: async ({ c, ctx, params }) => {
    await deleteWebhook({ ctx, input: { tenant: params.tenant } });
    return c.body(null, 204);
  },
});
