import { requireTenant } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { loadStream } from './load-stream.js';

/** Ingest stops; tables, lake objects and history are kept. Deleting twice is a no-op. */
export async function deleteStream({
  ctx,
  input,
}: VerbArgs<{ tenant: string; name: string }>): Promise<void> {
  requireTenant(ctx, input.tenant, 'manage');
  const current = await loadStream(ctx, input.tenant, input.name);
  if (current.deletedAt) return;
  const now = ctx.services.now().toISOString();
  await ctx.services.catalog.updateStream(
    { ...current, deletedAt: now, updatedAt: now, revision: current.revision + 1 },
    current.revision,
  );
}
