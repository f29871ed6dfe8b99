import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import type { Stream } from './types.js';

export async function loadStream(ctx: Ctx, tenant: string, name: string): Promise<Stream> {
  const stream = await ctx.services.catalog.getStream(tenant, name);
  if (!stream) throw new NotFoundError(`Stream '${name}' not found.`);
  return stream;
}
