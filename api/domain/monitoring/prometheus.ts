import { requirePlatform } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { LocalModeOnlyError } from '../errors.js';

/**
 * The Prometheus exposition. Platform-only: its labels name every tenant and stream, and their volumes
 * are nobody else's business. Scrapers send the platform key as a bearer token.
 */
export async function exportMetrics({
  ctx,
}: VerbArgs<unknown>): Promise<{ contentType: string; body: string }> {
  requirePlatform(ctx);
  const prom = ctx.services.prometheus;
  if (!prom)
    throw new LocalModeOnlyError(
      'The Prometheus exposition is served in local mode only: on AWS each Lambda container would count ' +
        'only its own requests. Read the CloudWatch metrics in the Tributary namespace instead.',
    );
  return { contentType: prom.contentType, body: await prom.render() };
}
