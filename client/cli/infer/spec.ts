import { EXTRA_COLUMN, META_COLUMNS } from '../../../api/domain/schema/columns.js';
import { MAX_SCHEMA_DEPTH, PROPERTY_NAME_PATTERN } from '../../../api/domain/schema/parse.js';
import type { PrimitiveType, PropertySchema } from '../../../api/domain/schema/types.js';
import { ENUM_MAX_VALUES, type FieldStats, type ObjectStats, type Sample } from './observe.js';

/** An enum needs each value seen this many times on average; a handful of distinct names is not a code list. */
const ENUM_MIN_REPEAT = 3;
/** The subset has no uri format: such a field stays a string, and says so in its description. */
export const URI_DESCRIPTION = 'uri (inferred; not enforced: the schema subset has no uri format)';
/** Names the server refuses inside nested objects (api/domain/schema/parse.ts). */
const RESERVED_NESTED = new Set<string>([
  ...META_COLUMNS,
  EXTRA_COLUMN,
  '_tenant',
  '_stream',
  '_index',
  '__proto__',
]);

export interface InferredSpec {
  name: string;
  schema: { type: 'object'; properties: Record<string, PropertySchema>; required?: string[] };
  dedupe?: { key: string[] };
  piiFields?: string[];
}

export interface Inference {
  spec: InferredSpec;
  /** Fields that could be dedupe keys (present, never null, unique in the sample), best first. */
  candidates: string[];
  /** What a person should check: skipped names, guesses, fields seen only as null. */
  notes: string[];
}

function typesOf(f: FieldStats): PrimitiveType[] {
  const types: PrimitiveType[] = [];
  if (f.cells && f.strings) {
    const { integers, numbers, booleans } = f.cells;
    if (integers === f.strings) return ['integer'];
    if (integers + numbers === f.strings) return ['number'];
    if (booleans === f.strings) return ['boolean'];
  }
  if (f.strings) types.push('string');
  if (f.numbers) types.push('number');
  else if (f.integers) types.push('integer');
  if (f.booleans) types.push('boolean');
  if (f.objects) types.push('object');
  if (f.arrays) types.push('array');
  return types;
}

function formatOf(f: FieldStats): 'uuid' | 'date-time' | 'date' | 'email' | 'uri' | undefined {
  for (const name of ['uuid', 'date-time', 'date', 'email', 'uri'] as const)
    if (f.formats[name] === f.strings) return name;
  return undefined;
}

function isEnum(f: FieldStats): boolean {
  const n = f.distinct?.size ?? 0;
  return n > 0 && n <= ENUM_MAX_VALUES && f.strings >= ENUM_MIN_REPEAT * n;
}

function propertyOf(f: FieldStats, path: string, depth: number, notes: string[]): PropertySchema {
  const types = typesOf(f);
  if (!types.length) {
    notes.push(`${path}: only null seen; typed as a nullable string`);
    types.push('string');
  }
  const nullable = f.nulls > 0;
  const p: PropertySchema = {
    type: types.length === 1 && !nullable ? types[0] : [...types, ...(nullable ? ['null' as const] : [])],
  };
  if (types.length === 1 && types[0] === 'string' && f.strings > 0) {
    const format = formatOf(f);
    if (format === 'uri') p.description = URI_DESCRIPTION;
    else if (format) p.format = format;
    // The server requires null among a nullable enum's values.
    else if (isEnum(f)) p.enum = [...[...f.distinct!].sort(), ...(nullable ? [null] : [])];
  }
  if (f.object && depth < MAX_SCHEMA_DEPTH) {
    const nested = propertiesOf(f.object, path, depth + 1, false, notes);
    if (Object.keys(nested.properties).length) p.properties = nested.properties;
    if (nested.required.length) p.required = nested.required;
  }
  if (f.items && depth < MAX_SCHEMA_DEPTH) p.items = propertyOf(f.items, `${path}[]`, depth + 1, notes);
  return p;
}

function propertiesOf(
  o: ObjectStats,
  prefix: string,
  depth: number,
  topLevel: boolean,
  notes: string[],
): { properties: Record<string, PropertySchema>; required: string[] } {
  const properties: Record<string, PropertySchema> = {};
  const required: string[] = [];
  for (const [name, f] of o.fields) {
    const path = prefix ? `${prefix}.${name}` : name;
    const bad = !PROPERTY_NAME_PATTERN.test(name)
      ? `is not a valid property name (${PROPERTY_NAME_PATTERN.source})`
      : topLevel && name.startsWith('_')
        ? "starts with '_' (reserved for metadata columns)"
        : !topLevel && RESERVED_NESTED.has(name)
          ? 'is a reserved name'
          : undefined;
    if (bad) {
      notes.push(
        `${JSON.stringify(path)} ${bad}: left out of the schema (it is kept in _extra unless you rename it)`,
      );
      continue;
    }
    properties[name] = propertyOf(f, path, depth, notes);
    if (f.present === o.count) required.push(name);
  }
  return { properties, required };
}

/** Unique, never null, always present; names that say "id" first, then uuids, then strings. */
function dedupeCandidates(o: ObjectStats, properties: Record<string, PropertySchema>): string[] {
  const score = (name: string, f: FieldStats): number =>
    (name === 'id' || /_id$|id$/.test(name) ? 4 : 0) +
    (f.formats.uuid === f.strings && f.strings ? 2 : 0) +
    (f.strings ? 1 : 0);
  return [...o.fields]
    .filter(([name, f]) => {
      if (!Object.hasOwn(properties, name) || !f.unique || f.present !== o.count || f.nulls || o.count < 2)
        return false;
      const p = properties[name];
      // A timestamp or an enum that happens not to repeat in a sample is no key.
      return p.format !== 'date-time' && p.format !== 'date' && p.enum === undefined;
    })
    .sort(([a, fa], [b, fb]) => score(b, fb) - score(a, fa) || a.localeCompare(b))
    .map(([name]) => name);
}

/** A stream spec from a sample, in the shape `apply -f` and `POST /streams` take. */
export function inferSpec(sample: Sample, name: string): Inference {
  const notes: string[] = [];
  if (sample.nonObjects)
    notes.push(`${sample.nonObjects} sampled values were not JSON objects and were ignored`);
  const { properties, required } = propertiesOf(sample.root, '', 0, true, notes);
  const spec: InferredSpec = {
    name,
    schema: { type: 'object', properties, ...(required.length ? { required } : {}) },
  };
  const candidates = dedupeCandidates(sample.root, properties);
  if (candidates.length) {
    spec.dedupe = { key: [candidates[0]] };
    if (candidates.length > 1)
      notes.push(`dedupe key candidates: ${candidates.join(', ')} (picked ${candidates[0]})`);
  } else
    notes.push('no dedupe key candidate: no field is present, non-null and unique in every sampled record');
  const enums = Object.entries(properties)
    .filter(([, p]) => p.enum)
    .map(([n]) => n);
  if (enums.length)
    notes.push(
      `enums: ${enums.join(', ')} (a value outside an enum is rejected: widen or drop any that may grow)`,
    );
  const pii = Object.entries(properties)
    .filter(([, p]) => p.format === 'email')
    .map(([n]) => n);
  if (pii.length) {
    spec.piiFields = pii;
    notes.push(`piiFields: ${pii.join(', ')} (email addresses); add any other sensitive fields`);
  }
  return { spec, candidates, notes };
}
