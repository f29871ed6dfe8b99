import type { Ctx } from '../context.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors.js';
import type { ApiKey } from '../keys/types.js';

/**
 * What a verb needs. `manage`: tenant admin (keys, stream config). `produce`: POST records to a stream.
 * `read`: config, previews, metrics and rejections of a stream (or the list of visible streams).
 */
export type Action = 'manage' | 'produce' | 'read';

const ALLOWED: Record<ApiKey['role'], ReadonlySet<Action>> = {
  admin: new Set<Action>(['manage', 'produce', 'read']),
  producer: new Set<Action>(['produce']),
  consumer: new Set<Action>(['read']),
};

export function requirePlatform(ctx: Ctx): void {
  const p = ctx.principal;
  if (!p) throw new UnauthenticatedError('Missing credentials.');
  if (p.kind !== 'platform') throw new ForbiddenError('Only the platform admin key can manage tenants.');
}

/**
 * Tenant resources the platform admin may reach as well (a tenant's warehouse binding): the platform key
 * passes, a tenant key needs `action` on its own tenant.
 */
export function requireTenantOrPlatform(ctx: Ctx, tenant: string, action: Action): void {
  if (ctx.principal?.kind === 'platform') return;
  requireTenant(ctx, tenant, action);
}

/**
 * Order matters: another tenant's resource is 404 (never reveal it exists), then the role (403),
 * then the stream scope (403). Existence of the stream itself is checked by the verb afterwards.
 */
export function requireTenant(ctx: Ctx, tenant: string, action: Action, stream?: string): ApiKey {
  const p = ctx.principal;
  if (!p) throw new UnauthenticatedError('Missing credentials.');
  if (p.kind === 'platform') {
    throw new ForbiddenError(
      'The platform admin key manages tenants; use a tenant key for tenant resources.',
    );
  }
  const key = p.key;
  if (key.tenant !== tenant) throw new NotFoundError(`Tenant '${tenant}' not found.`);
  if (!ALLOWED[key.role].has(action)) {
    throw new ForbiddenError(`A key with role '${key.role}' cannot ${describe(action)}.`);
  }
  if (stream !== undefined && !canSeeStream(key, stream)) {
    throw new ForbiddenError(`This key is not scoped to stream '${stream}'.`);
  }
  return key;
}

export function canSeeStream(key: ApiKey, stream: string): boolean {
  return key.streams.includes('*') || key.streams.includes(stream);
}

function describe(action: Action): string {
  switch (action) {
    case 'manage':
      return 'manage keys or stream configuration (needs role admin)';
    case 'produce':
      return 'send records (needs role producer or admin)';
    case 'read':
      return 'read stream data or configuration (needs role consumer or admin)';
  }
}
