import { requireTenant } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { ApiKey } from '../keys/types.js';
import { loadStream } from '../streams/load-stream.js';
import type { Layer, Stream } from '../streams/types.js';

export const MASK = '***';

export async function previewRecords({
  ctx,
  input,
}: VerbArgs<{ tenant: string; stream: string; layer: Layer; limit: number }>) {
  const key = requireTenant(ctx, input.tenant, 'read', input.stream);
  const stream = await loadStream(ctx, input.tenant, input.stream);
  if (input.layer === 'deduped' && !stream.dedupe) {
    throw new InvalidInputError(`Stream '${stream.name}' has no dedupe key, so it has no deduped layer.`, [
      { path: 'query.layer', message: 'deduped needs a dedupe config' },
    ]);
  }
  if (input.layer === 'entity' && !stream.entity) {
    throw new InvalidInputError(`Stream '${stream.name}' has no entity key, so it has no entity layer.`, [
      { path: 'query.layer', message: 'entity needs an entity config' },
    ]);
  }
  const result = await ctx.services.warehouse.preview(stream, input.layer, input.limit);
  return {
    layer: input.layer,
    total: result.total,
    records: result.records.map((r) => mask(r, stream, key)),
  };
}

export async function listRejections({
  ctx,
  input,
}: VerbArgs<{ tenant: string; stream: string; limit: number }>) {
  const key = requireTenant(ctx, input.tenant, 'read', input.stream);
  const stream = await loadStream(ctx, input.tenant, input.stream);
  const result = await ctx.services.warehouse.rejections(stream, input.limit);
  return {
    total: result.total,
    rejections: result.rejections.map((r) => ({
      ...r,
      record:
        r.record && typeof r.record === 'object' && !Array.isArray(r.record)
          ? mask(r.record as Record<string, unknown>, stream, key)
          : r.record,
    })),
  };
}

export async function getReceipt({
  ctx,
  input,
}: VerbArgs<{ tenant: string; stream: string; batchId: string }>) {
  requireTenant(ctx, input.tenant, 'read', input.stream);
  const stream = await loadStream(ctx, input.tenant, input.stream);
  const receipt = await ctx.services.delivery.receipt(input.tenant, input.stream, input.batchId);
  if (!receipt) throw new NotFoundError(`Batch '${input.batchId}' not found in stream '${input.stream}'.`);
  const { warehouse } = ctx.services;
  if (receipt.state === 'delivered' && warehouse.batchRows && receipt.accepted > 0) {
    // Delivered to a lake someone else loads (Snowpipe): loaded once every accepted row is in raw.
    if ((await warehouse.batchRows(stream, input.batchId)) >= receipt.accepted)
      return { ...receipt, state: 'loaded' as const };
  }
  return receipt;
}

/** Sensitive fields are replaced unless the key may see them; the copy never touches the source row. */
function mask(record: Record<string, unknown>, stream: Stream, key: ApiKey): Record<string, unknown> {
  if (key.pii || stream.piiFields.length === 0) return record;
  const out: Record<string, unknown> = { ...record };
  for (const f of stream.piiFields) if (Object.hasOwn(out, f) && out[f] !== null) out[f] = MASK;
  return out;
}
