import { requirePlatform } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { issueKey } from '../keys/issue-key.js';
import type { Tenant } from './types.js';

export async function createTenant({ ctx, input }: VerbArgs<{ name: string }>) {
  requirePlatform(ctx);
  const tenant: Tenant = { name: input.name, createdAt: ctx.services.now().toISOString() };
  await ctx.services.catalog.createTenant(tenant);
  const key = await issueKey(ctx.services, {
    tenant: tenant.name,
    name: 'admin',
    role: 'admin',
    streams: ['*'],
    pii: true,
  });
  return {
    name: tenant.name,
    createdAt: tenant.createdAt,
    key: { id: key.id, secret: key.secret, role: 'admin' as const },
  };
}

export async function listTenants({ ctx }: VerbArgs<unknown>) {
  requirePlatform(ctx);
  const tenants = await ctx.services.catalog.listTenants();
  return { tenants: tenants.map((t) => ({ name: t.name, createdAt: t.createdAt })) };
}
