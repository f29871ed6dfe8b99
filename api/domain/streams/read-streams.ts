import { canSeeStream, requireTenant } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { loadStream } from './load-stream.js';

export async function getStream({ ctx, input }: VerbArgs<{ tenant: string; name: string }>) {
  requireTenant(ctx, input.tenant, 'read', input.name);
  return loadStream(ctx, input.tenant, input.name);
}

/** A consumer sees only the streams its key is scoped to. */
export async function listStreams({ ctx, input }: VerbArgs<{ tenant: string }>) {
  const key = requireTenant(ctx, input.tenant, 'read');
  const streams = await ctx.services.catalog.listStreams(input.tenant);
  return streams.filter((s) => canSeeStream(key, s.name)).sort((a, b) => a.name.localeCompare(b.name));
}

export async function listVersions({ ctx, input }: VerbArgs<{ tenant: string; name: string }>) {
  requireTenant(ctx, input.tenant, 'read', input.name);
  const stream = await loadStream(ctx, input.tenant, input.name);
  const versions = await ctx.services.catalog.listVersions(input.tenant, input.name);
  if (!versions.some((v) => v.version === 1)) {
    // Only possible after a crash between the two catalog writes of createStream.
    versions.unshift({ version: 1, schema: stream.schema, createdAt: stream.createdAt, changes: [] });
  }
  return versions.sort((a, b) => a.version - b.version);
}
