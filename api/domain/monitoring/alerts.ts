import { randomBytes } from 'node:crypto';
import { canSeeStream, requireTenant } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { Alert, AlertState } from './types.js';
import { webhookUrlProblem } from './webhook-target.js';

/** A key sees the alerts of the streams it is scoped to; newest first. */
export async function listAlerts({
  ctx,
  input,
}: VerbArgs<{ tenant: string; state?: AlertState; limit: number }>) {
  const key = requireTenant(ctx, input.tenant, 'read');
  const alerts = await ctx.services.alerts.list(input.tenant, input.state ? { state: input.state } : {});
  return {
    alerts: alerts
      .filter((a) => canSeeStream(key, a.stream))
      .slice(0, input.limit)
      .map(presentAlert),
  };
}

export function presentAlert(a: Alert) {
  return {
    id: a.id,
    stream: a.stream,
    rule: a.rule,
    state: a.state,
    message: a.message,
    firedAt: a.firedAt,
    ...(a.resolvedAt ? { resolvedAt: a.resolvedAt } : {}),
    ...(a.lastNotifiedState ? { lastNotifiedState: a.lastNotifiedState } : {}),
  };
}

/**
 * Replaces the tenant's webhook. The secret is returned here and never again. A URL that is internal on
 * its face is refused here; the address a name resolves to is checked each time an alert is sent.
 */
export async function setWebhook({ ctx, input }: VerbArgs<{ tenant: string; url: string; secret?: string }>) {
  requireTenant(ctx, input.tenant, 'manage');
  const problem = webhookUrlProblem(input.url, ctx.services.webhooks);
  if (problem)
    throw new InvalidInputError(`Invalid webhook: url ${problem}.`, [{ path: 'body.url', message: problem }]);
  const tenant = await ctx.services.catalog.getTenant(input.tenant);
  if (!tenant) throw new NotFoundError(`Tenant '${input.tenant}' not found.`);
  const secret = input.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
  await ctx.services.catalog.updateTenant({ ...tenant, webhook: { url: input.url, secret } });
  return { url: input.url, secret };
}

/** Idempotent: removing a webhook that is not there succeeds. */
export async function deleteWebhook({ ctx, input }: VerbArgs<{ tenant: string }>): Promise<void> {
  requireTenant(ctx, input.tenant, 'manage');
  const tenant = await ctx.services.catalog.getTenant(input.tenant);
  if (!tenant) throw new NotFoundError(`Tenant '${input.tenant}' not found.`);
  if (!tenant.webhook) return;
  const { webhook: _, ...rest } = tenant;
  await ctx.services.catalog.updateTenant(rest);
}
