import { z } from 'zod';
import { listAlerts } from '../../domain/monitoring/alerts.js';
import { defineRoute } from '../../http/route.js';
import { TenantParams, authErrors, badRequest } from '../params.js';

const AlertState = z.enum(['firing', 'resolved']);

export const AlertSchema = z
  .object({
    id: z.string(),
    stream: z.string(),
    rule: z.enum(['silence', 'load_delay', 'reconciliation', 'load_errors', 'load_stuck']),
    state: AlertState,
    message: z.string(),
    firedAt: z.string(),
    resolvedAt: z.string().optional(),
    lastNotifiedState: AlertState.optional().describe('The last state the tenant webhook acknowledged'),
  })
  .meta({ id: 'Alert' });
export const ListAlertsQuery = z.object({
  state: AlertState.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const ListAlertsResponse = z.object({ alerts: z.array(AlertSchema) });
export type ListAlertsResponse = z.infer<typeof ListAlertsResponse>;

export const listAlertsRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/alerts',
  operationId: 'listAlerts',
  summary: 'Freshness alerts of the streams this key can see, newest first',
  description:
    'Admin and consumer keys; a key sees the alerts of the streams in its scope. Filter by `state`; at most `limit`.',
  tags: ['monitoring'],
  access: { kind: 'tenant', action: 'read', stream: false },
  params: TenantParams,
  query: ListAlertsQuery,
  responses: { 200: { description: 'Alerts', schema: ListAlertsResponse }, ...badRequest, ...authErrors },
  handler: async ({ c, ctx, params, query }) =>
    c.json(
      await listAlerts({
        ctx,
        input: { tenant: params.tenant, limit: query.limit, ...(query.state ? { state: query.state } : {}) },
      }),
    ),
});
