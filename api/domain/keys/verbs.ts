import { requireTenant } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { issueKey, publicKey, type IssuedKey } from './issue-key.js';
import type { Role } from './types.js';

export interface CreateKeyInput {
  tenant: string;
  name: string;
  role: Role;
  streams: string[];
  pii: boolean;
}

export async function createKey({ ctx, input }: VerbArgs<CreateKeyInput>): Promise<IssuedKey> {
  requireTenant(ctx, input.tenant, 'manage');
  if (input.streams.includes('*') && input.streams.length > 1) {
    throw new InvalidInputError("streams must be ['*'] or a list of stream names, not both.", [
      { path: 'body.streams', message: "'*' cannot be combined with names" },
    ]);
  }
  return issueKey(ctx.services, input);
}

export async function listKeys({ ctx, input }: VerbArgs<{ tenant: string }>) {
  requireTenant(ctx, input.tenant, 'manage');
  const keys = await ctx.services.catalog.listKeys(input.tenant);
  return { keys: keys.map(publicKey) };
}

export async function revokeKey({ ctx, input }: VerbArgs<{ tenant: string; id: string }>): Promise<void> {
  requireTenant(ctx, input.tenant, 'manage');
  const ok = await ctx.services.catalog.revokeKey(input.tenant, input.id, ctx.services.now().toISOString());
  if (!ok) throw new NotFoundError(`Key '${input.id}' not found (or already revoked).`);
}
