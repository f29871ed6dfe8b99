import { InvalidInputError } from '../../../api/domain/errors.js';
import { diffSchemas } from '../../../api/domain/schema/evolve.js';
import { parseObjectSchema } from '../../../api/domain/schema/parse.js';
import type { ObjectSchema } from '../../../api/domain/schema/types.js';
import { normalizeSpec, type StreamSpecInput } from '../../../api/domain/streams/spec.js';
import type { Stream, StreamPatch } from '../../index.js';
import type { DesiredStream } from './spec-file.js';

/*
 * What `apply` would do, worked out locally with the server's own rules (schema parsing, spec checks and
 * the schema diff come from api/domain), before the server's dry run judges each update.
 */

export interface Change {
  field: string;
  change: string;
  from?: unknown;
  to?: unknown;
}

export interface Problem {
  path: string;
  message: string;
}

export type Action = 'create' | 'update' | 'unchanged' | 'delete' | 'keep';

export interface PlanItem {
  name: string;
  action: Action;
  /** Why it cannot be applied; any problem in a plan means nothing is changed. */
  problems: Problem[];
  /** Spec fields that differ (update), with the server's schema changes added by the dry run. */
  changes: Change[];
  /** create: the body to POST. */
  create?: Record<string, unknown>;
  /** update: the body to PATCH. */
  patch?: StreamPatch;
  /** update, from the dry run. */
  compatible?: boolean;
  fromVersion?: number;
  toVersion?: number;
  ddl?: string[];
  summary?: string;
}

/** JSON with object keys sorted: equal values give equal text whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);
const sameSet = (a: unknown[], b: unknown[]) =>
  same([...a].map(canonical).sort(), [...b].map(canonical).sort());

function problemsOf(err: unknown, prefix = ''): Problem[] {
  if (err instanceof InvalidInputError && err.errors.length)
    return err.errors.map((e) => ({
      path: prefix && e.path ? `${prefix}.${e.path}` : e.path || prefix,
      message: e.message,
    }));
  return [{ path: prefix, message: err instanceof Error ? err.message : String(err) }];
}

export function summarize(spec: Record<string, unknown>): string {
  const schema = spec.schema as { properties?: Record<string, unknown> } | undefined;
  const parts = [`${Object.keys(schema?.properties ?? {}).length} fields`];
  const dedupe = spec.dedupe as { key?: string[] } | undefined;
  const entity = spec.entity as { key?: string[]; orderBy?: string } | undefined;
  if (dedupe?.key) parts.push(`dedupe ${dedupe.key.join(',')}`);
  if (entity?.key)
    parts.push(`entity ${entity.key.join(',')}${entity.orderBy ? ` by ${entity.orderBy}` : ''}`);
  if (Array.isArray(spec.piiFields) && spec.piiFields.length) parts.push(`pii ${spec.piiFields.join(',')}`);
  return parts.join('; ');
}

function planCreate(d: DesiredStream): PlanItem {
  const { name, ...spec } = d;
  const item: PlanItem = {
    name,
    action: 'create',
    problems: [],
    changes: [],
    create: d,
    summary: summarize(d),
  };
  try {
    // The server fills buffering defaults itself; any value passes the local check.
    normalizeSpec(spec as unknown as StreamSpecInput, { buffering: { intervalSeconds: 1, sizeMiB: 1 } });
  } catch (err) {
    item.problems = problemsOf(err);
  }
  return item;
}

/**
 * An update holds only what the file states and the stream lacks: a field the file leaves out keeps its
 * current value (as PATCH does), so `piiFields: []` is how a file clears them.
 */
function planUpdate(d: DesiredStream, current: Stream): PlanItem {
  const item: PlanItem = { name: d.name, action: 'update', problems: [], changes: [] };
  if (current.deletedAt) {
    item.problems.push({
      path: '',
      message: `was deleted at ${current.deletedAt}; a deleted stream's name cannot be used again`,
    });
    return item;
  }
  const patch: Record<string, unknown> = {};
  const differs = (field: string, from: unknown, to: unknown) => {
    item.changes.push({ field, change: 'changed', from, to });
    patch[field] = to;
  };
  const defines = { dedupe: 'the deduped layer', entity: 'the entity layer', cdc: 'how changes apply' };
  for (const key of ['dedupe', 'entity', 'cdc'] as const) {
    if (d[key] !== undefined && !same(d[key], current[key]))
      item.problems.push({
        path: key,
        message: `cannot change after creation (it defines ${defines[key]}); it is ${canonical(current[key] ?? null)}`,
      });
  }
  if (d.description !== undefined && d.description !== current.description)
    differs('description', current.description, d.description);
  if (d.schema !== undefined) {
    try {
      const wanted = parseObjectSchema(d.schema);
      if (diffSchemas(current.schema as unknown as ObjectSchema, wanted).length) patch.schema = d.schema;
    } catch (err) {
      item.problems.push(...problemsOf(err));
    }
  }
  if (Array.isArray(d.piiFields) && !sameSet(d.piiFields, current.piiFields))
    differs('piiFields', current.piiFields, d.piiFields);
  if (d.clusterBy !== undefined && !same(d.clusterBy, current.clusterBy))
    differs('clusterBy', current.clusterBy, d.clusterBy);
  if (d.compatibility !== undefined && d.compatibility !== current.compatibility)
    differs('compatibility', current.compatibility, d.compatibility);
  if (d.freshness !== undefined && !same(d.freshness, current.freshness))
    differs('freshness', current.freshness, d.freshness);
  if (d.buffering && typeof d.buffering === 'object') {
    const want = d.buffering as Record<string, unknown>;
    const have = current.buffering as Record<string, unknown>;
    const hints = Object.keys(want).filter((k) => want[k] !== undefined && want[k] !== have[k]);
    if (hints.length) differs('buffering', current.buffering, { ...have, ...want });
  }
  if (!Object.keys(patch).length && !item.problems.length)
    return { name: d.name, action: 'unchanged', problems: [], changes: [] };
  item.patch = patch;
  return item;
}

/** The plan, stream by stream: the file's streams in its order, then the server's streams the file lacks. */
export function planStreams(desired: DesiredStream[], current: Stream[], prune: boolean): PlanItem[] {
  const byName = new Map(current.map((s) => [s.name, s]));
  const items = desired.map((d) => {
    const now = byName.get(d.name);
    return now ? planUpdate(d, now) : planCreate(d);
  });
  const named = new Set(desired.map((d) => d.name));
  for (const s of current) {
    if (named.has(s.name) || s.deletedAt) continue;
    items.push({ name: s.name, action: prune ? 'delete' : 'keep', problems: [], changes: [] });
  }
  return items;
}
