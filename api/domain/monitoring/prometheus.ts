import { requirePlatform } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';

/**
 * The Prometheus exposition. Platform-only: its labels name every tenant and stream, and their volumes
 * are nobody else's business. Scrapers send the platform key as a bearer token.
 */
export async function exportMetrics({
  ctx,
}: VerbArgs<unknown>): Promise<{ contentType: string; body: string }> {
  requirePlatform(ctx);
  const prom = ctx.services.prometheus;
  return { contentType: prom.contentType, body: await prom.render() };
}
