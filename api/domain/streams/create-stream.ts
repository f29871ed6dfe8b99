import { requireTenant } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { AlreadyExistsError, InvalidInputError } from '../errors.js';
import { IDENTIFIER_PATTERN } from '../identifiers.js';
import { normalizeSpec, type StreamSpecInput } from './spec.js';
import type { Stream } from './types.js';

export async function createStream({
  ctx,
  input,
}: VerbArgs<{ tenant: string; name: string; spec: StreamSpecInput }>) {
  requireTenant(ctx, input.tenant, 'manage');
  if (!IDENTIFIER_PATTERN.test(input.name)) {
    throw new InvalidInputError(`Stream name '${input.name}' must match ${IDENTIFIER_PATTERN.source}.`, [
      { path: 'body.name', message: `must match ${IDENTIFIER_PATTERN.source}` },
    ]);
  }
  const spec = normalizeSpec(input.spec, ctx.services.streamDefaults);
  const { catalog, warehouse } = ctx.services;
  if (await catalog.getStream(input.tenant, input.name)) {
    throw new AlreadyExistsError(`Stream '${input.name}' already exists.`);
  }
  const now = ctx.services.now().toISOString();
  const stream: Stream = {
    ...spec,
    tenant: input.tenant,
    name: input.name,
    version: 1,
    createdAt: now,
    updatedAt: now,
    revision: 1,
  };
  // Tables first: a stream visible in the catalog can take records, and they must have somewhere to land.
  await warehouse.createStream(stream);
  await catalog.createStream(stream, { version: 1, schema: spec.schema, createdAt: now, changes: [] });
  return stream;
}
