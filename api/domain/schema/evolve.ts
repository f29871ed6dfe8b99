import type { FieldError } from '../errors.js';
import type { Compatibility, SchemaChange } from '../streams/types.js';
import { columnTypeOf, nonNullTypes } from './columns.js';
import type { ObjectSchema, PropertySchema } from './types.js';

export interface EvolutionInput {
  from: ObjectSchema;
  to: ObjectSchema;
  compatibility: Compatibility;
  /** Top-level fields used by dedupe, entity or cluster keys: they may never be removed. */
  keyFields: string[];
}

export interface EvolutionResult {
  compatible: boolean;
  changes: SchemaChange[];
  /** One entry per broken rule; path is the field (dotted for nested, `[]` for array items, '' for the schema). */
  violations: FieldError[];
}

type Node = Pick<PropertySchema, 'properties' | 'required' | 'additionalProperties'>;
type Bounds = Partial<Pick<PropertySchema, 'minimum' | 'maximum' | 'minLength' | 'maxLength'>>;

/** A change plus what the rules need to judge it. */
interface Diff {
  change: SchemaChange;
  topLevel: boolean;
  /** For 'added' / 'removed': whether the property is required where it exists. */
  required?: boolean;
  before?: PropertySchema;
  after?: PropertySchema;
}

const BOUND_KEYS = ['minimum', 'maximum', 'minLength', 'maxLength'] as const;

function typeLabel(p: PropertySchema): string | string[] {
  const types = nonNullTypes(p);
  return types.length === 1 ? types[0] : types;
}

function sameSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  const keys = new Set(a.map((v) => JSON.stringify(v)));
  const other = new Set(b.map((v) => JSON.stringify(v)));
  return keys.size === other.size && [...keys].every((k) => other.has(k));
}

function boundsOf(p: PropertySchema): Bounds {
  const out: Bounds = {};
  for (const k of BOUND_KEYS) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

const isNullable = (p: PropertySchema): boolean => Array.isArray(p.type) && p.type.includes('null');
const allows = (p: PropertySchema, t: string): boolean =>
  (Array.isArray(p.type) ? p.type : [p.type]).includes(t as never);
const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

function diffObject(a: Node, b: Node, prefix: string, topLevel: boolean, out: Diff[]): void {
  const before = a.properties ?? {};
  const after = b.properties ?? {};
  const reqBefore = new Set(a.required ?? []);
  const reqAfter = new Set(b.required ?? []);
  for (const name of Object.keys(after)) {
    const field = join(prefix, name);
    if (!Object.hasOwn(before, name)) {
      out.push({
        change: { field, change: 'added', to: after[name] },
        topLevel,
        required: reqAfter.has(name),
        after: after[name],
      });
    } else
      diffProperty(before[name], after[name], field, reqBefore.has(name), reqAfter.has(name), topLevel, out);
  }
  for (const name of Object.keys(before)) {
    if (Object.hasOwn(after, name)) continue;
    out.push({
      change: { field: join(prefix, name), change: 'removed', from: before[name] },
      topLevel,
      required: reqBefore.has(name),
      before: before[name],
    });
  }
  const openBefore = a.additionalProperties !== false;
  const openAfter = b.additionalProperties !== false;
  if (openBefore !== openAfter)
    out.push({
      change: { field: prefix, change: 'additionalProperties', from: openBefore, to: openAfter },
      topLevel,
    });
}

function diffProperty(
  a: PropertySchema,
  b: PropertySchema,
  field: string,
  reqA: boolean,
  reqB: boolean,
  topLevel: boolean,
  out: Diff[],
): void {
  const push = (change: string, from: unknown, to: unknown): void => {
    out.push({ change: { field, change, from, to }, topLevel, before: a, after: b });
  };
  if (a.description !== b.description) push('description', a.description, b.description);
  if (!sameSet(nonNullTypes(a), nonNullTypes(b))) push('type', typeLabel(a), typeLabel(b));
  if (isNullable(a) !== isNullable(b)) push('nullable', isNullable(a), isNullable(b));
  if (a.format !== b.format) push('format', a.format, b.format);
  if (a.enum === undefined ? b.enum !== undefined : b.enum === undefined || !sameSet(a.enum, b.enum))
    push('enum', a.enum, b.enum);
  if (BOUND_KEYS.some((k) => a[k] !== b[k])) push('bounds', boundsOf(a), boundsOf(b));
  if (reqA !== reqB) push('required', reqA, reqB);
  // Nested structure only means something while both sides are still objects / arrays.
  if (allows(a, 'object') && allows(b, 'object')) diffObject(a, b, field, false, out);
  if (allows(a, 'array') && allows(b, 'array')) {
    if (a.items && b.items) diffProperty(a.items, b.items, `${field}[]`, true, true, false, out);
    else if (a.items || b.items) push('items', a.items, b.items);
  }
}

/** Every difference between two schema versions, in the vocabulary the UI's version diff shows. */
export function diffSchemas(a: ObjectSchema, b: ObjectSchema): SchemaChange[] {
  return collect(a, b).map((d) => d.change);
}

function collect(a: ObjectSchema, b: ObjectSchema): Diff[] {
  const out: Diff[] = [];
  if (a.description !== b.description)
    out.push({
      change: { field: '', change: 'description', from: a.description, to: b.description },
      topLevel: true,
    });
  diffObject(a, b, '', true, out);
  return out;
}

/** A type label (one type or several) or a format, as the violation messages write it. */
const fmt = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(' | ') : '(none)');

/** Whether values of `a` all stay valid under `b` without the column changing type. */
function typeWidens(a: PropertySchema, b: PropertySchema, topLevel: boolean): boolean {
  const to = nonNullTypes(b);
  const covered = nonNullTypes(a).every((t) => to.includes(t) || (t === 'integer' && to.includes('number')));
  if (!covered || !topLevel) return covered;
  // Format is judged on its own; here only the storage type matters.
  const ca = columnTypeOf({ ...a, format: undefined });
  const cb = columnTypeOf({ ...b, format: undefined });
  return ca === cb || (ca === 'integer' && cb === 'number');
}

/** The BACKWARD rules: every record valid before stays valid, and every column keeps its type. */
function backwardViolation(d: Diff): string[] {
  const { change } = d;
  const a = d.before as PropertySchema;
  const b = d.after as PropertySchema;
  switch (change.change) {
    case 'added':
      return d.required ? ['adding a required property'] : [];
    case 'removed':
    case 'description':
      return [];
    case 'type':
      return typeWidens(a, b, d.topLevel) ? [] : [`changing type ${fmt(change.from)} -> ${fmt(change.to)}`];
    case 'nullable':
      return change.to ? [] : ['removing null from the type'];
    case 'format':
      return [`changing format ${fmt(change.from)} -> ${fmt(change.to)}`];
    case 'required':
      return change.to ? ['making an optional property required'] : [];
    case 'enum': {
      if (b.enum === undefined) return [];
      if (a.enum === undefined) return [`adding an enum ${JSON.stringify(b.enum)}`];
      const kept = new Set(b.enum.map((v) => JSON.stringify(v)));
      const dropped = a.enum.filter((v) => !kept.has(JSON.stringify(v)));
      return dropped.length ? [`removing enum values ${JSON.stringify(dropped)}`] : [];
    }
    case 'bounds': {
      const out: string[] = [];
      for (const k of BOUND_KEYS) {
        const from = a[k];
        const to = b[k];
        if (to === undefined || from === to) continue;
        if (from === undefined) out.push(`adding ${k} ${to}`);
        else if (k.startsWith('min') ? to > from : to < from)
          out.push(`${k.startsWith('min') ? 'raising' : 'lowering'} ${k} ${from} -> ${to}`);
      }
      return out;
    }
    case 'additionalProperties':
      return change.to ? [] : ['changing additionalProperties true -> false'];
    case 'items':
      return b.items === undefined ? [] : ['adding an items schema'];
    default:
      return [`changing ${change.change}`];
  }
}

/** FULL also needs old readers to accept new records: only optional properties may come and go. */
function fullViolation(d: Diff): string[] {
  const { change } = d;
  switch (change.change) {
    case 'added':
      return d.required ? ['adding a required property'] : [];
    case 'removed':
      return d.required ? ['removing a required property'] : [];
    case 'description':
      return [];
    case 'type':
    case 'format':
      return [`changing ${change.change} ${fmt(change.from)} -> ${fmt(change.to)}`];
    case 'nullable':
      return [change.to ? 'adding null to the type' : 'removing null from the type'];
    case 'required':
      return [change.to ? 'making an optional property required' : 'making a required property optional'];
    case 'enum':
      return ['changing enum values'];
    case 'bounds':
      return ['changing bounds'];
    case 'items':
      return ['changing the items schema'];
    case 'additionalProperties':
      return [`changing additionalProperties ${String(change.from)} -> ${String(change.to)}`];
    default:
      return [`changing ${change.change}`];
  }
}

/**
 * Judges a proposed schema change under the stream's compatibility mode, listing every violation.
 * Removed properties keep their warehouse column, so removal is safe unless a key uses the field.
 */
export function evaluateEvolution(input: EvolutionInput): EvolutionResult {
  const { compatibility } = input;
  const keys = new Set(input.keyFields);
  const diffs = collect(input.from, input.to);
  const violations: FieldError[] = [];
  for (const d of diffs) {
    const { field, change } = d.change;
    if (change === 'removed' && d.topLevel && keys.has(field)) {
      violations.push({
        path: field,
        message: 'removing a key field (used by dedupe, entity or cluster keys) is not allowed',
      });
    }
    const rules = compatibility === 'FULL' ? fullViolation(d) : backwardViolation(d);
    for (const rule of rules)
      violations.push({ path: field, message: `${rule} is not allowed under ${compatibility}` });
  }
  return { compatible: violations.length === 0, changes: diffs.map((d) => d.change), violations };
}
