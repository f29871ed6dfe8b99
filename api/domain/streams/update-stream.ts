import { requireTenant } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { InvalidInputError, SchemaIncompatibleError, StreamGoneError } from '../errors.js';
import { columnTypeOf, evaluateEvolution, parseObjectSchema } from '../schema/index.js';
import type { ObjectSchema } from '../schema/types.js';
import type { Ctx } from '../context.js';
import { loadStream } from './load-stream.js';
import { checkReferences, keyFields, type StreamSpecInput } from './spec.js';
import type { SchemaChange, Stream, StreamVersion } from './types.js';

export type StreamPatch = Partial<Omit<StreamSpecInput, 'dedupe' | 'entity' | 'cdc'>> & {
  dedupe?: unknown;
  entity?: unknown;
  cdc?: unknown;
};

export interface EvolutionVerdict {
  dryRun: true;
  compatible: boolean;
  fromVersion: number;
  toVersion: number;
  changes: SchemaChange[];
  violations: { path: string; message: string }[];
  ddl: string[];
}

/**
 * PATCH: a new schema becomes version n+1 when compatible. The warehouse is altered before the
 * catalog points at the new version, so no record of it is acknowledged before its columns exist.
 */
export async function updateStream({
  ctx,
  input,
}: VerbArgs<{ tenant: string; name: string; patch: StreamPatch; dryRun: boolean }>): Promise<
  Stream | EvolutionVerdict
> {
  requireTenant(ctx, input.tenant, 'manage');
  const current = await loadStream(ctx, input.tenant, input.name);
  if (current.deletedAt)
    throw new StreamGoneError(`Stream '${input.name}' was deleted; it can no longer be changed.`);
  const { patch } = input;
  const immutable = (['dedupe', 'entity', 'cdc'] as const).filter(
    (k) => k in patch && patch[k] !== undefined,
  );
  if (immutable.length) {
    throw new InvalidInputError(
      `${immutable.join(' and ')} cannot change after creation: they define the warehouse layers.`,
      immutable.map((k) => ({ path: `body.${k}`, message: 'is immutable after creation' })),
    );
  }

  const next: Stream = {
    ...current,
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.piiFields ? { piiFields: patch.piiFields } : {}),
    ...(patch.clusterBy ? { clusterBy: patch.clusterBy } : {}),
    ...(patch.compatibility ? { compatibility: patch.compatibility } : {}),
    ...(patch.freshness ? { freshness: patch.freshness } : {}),
    // Like Firehose's UpdateDestination: a hint left out keeps its current value.
    buffering: {
      intervalSeconds: patch.buffering?.intervalSeconds ?? current.buffering.intervalSeconds,
      sizeMiB: patch.buffering?.sizeMiB ?? current.buffering.sizeMiB,
    },
  };

  let version: StreamVersion | undefined;
  let changes: SchemaChange[] = [];
  let violations: { path: string; message: string }[] = [];
  if (patch.schema !== undefined) {
    const to = parseObjectSchema(patch.schema);
    const verdict = evaluateEvolution({
      from: current.schema,
      to,
      compatibility: next.compatibility,
      keyFields: keyFields(current),
    });
    changes = verdict.changes;
    violations = [...verdict.violations, ...(await retiredColumnClashes(ctx, current, to))];
    if (changes.length) {
      next.schema = to;
      next.version = current.version + 1;
    }
  }
  checkReferencesOrViolations(next, violations);

  // Masks and clustering live in the warehouse too: a change to either alone still needs its DDL.
  const warehouseChanges =
    next.version !== current.version ||
    !sameList(current.piiFields, next.piiFields) ||
    !sameList(current.clusterBy, next.clusterBy);
  const ddl =
    violations.length || !warehouseChanges ? [] : await ctx.services.warehouse.planEvolution(current, next);
  if (input.dryRun) {
    return {
      dryRun: true,
      compatible: violations.length === 0,
      fromVersion: current.version,
      toVersion: next.version,
      changes,
      violations,
      ddl,
    };
  }
  if (violations.length) {
    throw new SchemaIncompatibleError(
      `The new schema is not ${next.compatibility}-compatible with version ${current.version}: ${violations.length} violation(s).`,
      violations,
    );
  }

  const now = ctx.services.now().toISOString();
  next.updatedAt = now;
  next.revision = current.revision + 1;
  if (next.version !== current.version)
    version = { version: next.version, schema: next.schema, createdAt: now, changes };
  if (warehouseChanges) await ctx.services.warehouse.evolveStream(current, next);
  await ctx.services.catalog.updateStream(next, current.revision, version);
  return next;
}

/** piiFields/clusterBy must still name declared properties after the change. */
function checkReferencesOrViolations(next: Stream, violations: { path: string; message: string }[]): void {
  try {
    checkReferences(next);
  } catch (err) {
    if (err instanceof InvalidInputError && violations.length) {
      violations.push(...err.errors);
      return;
    }
    throw err;
  }
}

/**
 * A property removed earlier keeps its column. Re-adding it with a different column type would make the
 * old column reject new records at load time, so it is refused now rather than failing after the ack.
 */
async function retiredColumnClashes(
  ctx: Ctx,
  current: Stream,
  to: ObjectSchema,
): Promise<{ path: string; message: string }[]> {
  const added = Object.keys(to.properties).filter((f) => !Object.hasOwn(current.schema.properties, f));
  if (!added.length) return [];
  const versions = await ctx.services.catalog.listVersions(current.tenant, current.name);
  const out: { path: string; message: string }[] = [];
  for (const field of added) {
    const wanted = columnTypeOf(to.properties[field]);
    const earlier = versions.map((v) => v.schema.properties[field]).find((p) => p !== undefined);
    if (earlier && columnTypeOf(earlier) !== wanted) {
      out.push({
        path: field,
        message: `was removed earlier as ${columnTypeOf(earlier)}; its column stays, so it cannot come back as ${wanted}`,
      });
    }
  }
  return out;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
