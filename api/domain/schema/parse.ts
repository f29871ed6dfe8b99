import { InvalidInputError, type FieldError } from '../errors.js';
import { EXTRA_COLUMN, META_COLUMNS } from './columns.js';
import { FORMAT_NAMES, type FormatName } from './formats.js';
import type { ObjectSchema, PrimitiveType, PropertySchema } from './types.js';

/** Property names: lower-case identifiers, so every one is a safe, quotable column name. */
export const PROPERTY_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
/** Deeper nesting is almost certainly a mistake and would only slow validation down. */
export const MAX_SCHEMA_DEPTH = 16;

const PRIMITIVE_TYPES: ReadonlySet<string> = new Set<PrimitiveType>([
  'string',
  'integer',
  'number',
  'boolean',
  'object',
  'array',
  'null',
]);
const TOP_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'description',
  '$schema',
  'title',
]);
const PROPERTY_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'description',
  'format',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'properties',
  'required',
  'additionalProperties',
  'items',
]);
// Nested names live inside a JSON column, so only the exact metadata names (and the one key that
// would rewrite an object's prototype) are off limits there.
const RESERVED_NESTED_NAMES: ReadonlySet<string> = new Set([
  ...META_COLUMNS,
  EXTRA_COLUMN,
  '_tenant',
  '_stream',
  '_index',
  '__proto__',
]);

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Json, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function matchesType(v: unknown, t: PrimitiveType): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isSafeInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return false; // enum values are primitives, so never objects or arrays
  }
}

/**
 * Checks that `input` stays within the JSON Schema subset streams support and returns a clean copy
 * (`$schema` and `title` dropped). Throws InvalidInputError('invalid_schema') listing every problem.
 */
export function parseObjectSchema(input: unknown): ObjectSchema {
  const errors: FieldError[] = [];
  const add = (path: string, message: string): void => {
    errors.push({ path, message });
  };

  function parseType(raw: unknown, path: string): PrimitiveType[] | undefined {
    if (raw === undefined) {
      add(path, 'is required');
      return undefined;
    }
    if (typeof raw === 'string') {
      if (raw === 'null') {
        add(path, `'null' is only allowed inside a type array, e.g. ["string", "null"]`);
        return undefined;
      }
      if (!PRIMITIVE_TYPES.has(raw)) {
        add(path, `unsupported type ${describe(raw)}`);
        return undefined;
      }
      return [raw as PrimitiveType];
    }
    if (!Array.isArray(raw)) {
      add(path, 'must be a type name or an array of type names');
      return undefined;
    }
    if (raw.length === 0) {
      add(path, 'must not be empty');
      return undefined;
    }
    const seen = new Set<string>();
    let ok = true;
    raw.forEach((t, i) => {
      if (typeof t !== 'string' || !PRIMITIVE_TYPES.has(t)) {
        add(`${path}[${i}]`, `unsupported type ${describe(t)}`);
        ok = false;
      } else if (seen.has(t)) {
        add(`${path}[${i}]`, `duplicate type '${t}'`);
        ok = false;
      } else seen.add(t);
    });
    if (!ok) return undefined;
    if (seen.size === 1 && seen.has('null')) {
      add(path, `must name a type besides 'null'`);
      return undefined;
    }
    return raw as PrimitiveType[];
  }

  function parseRequired(raw: unknown, path: string, declared: Json | undefined): string[] | undefined {
    if (!Array.isArray(raw)) {
      add(path, 'must be an array of property names');
      return undefined;
    }
    const seen = new Set<string>();
    raw.forEach((name, i) => {
      if (typeof name !== 'string') add(`${path}[${i}]`, 'must be a property name');
      else if (seen.has(name)) add(`${path}[${i}]`, `'${name}' is listed twice`);
      else {
        seen.add(name);
        if (declared && !Object.hasOwn(declared, name))
          add(`${path}[${i}]`, `'${name}' is not a declared property`);
      }
    });
    return raw.filter((n): n is string => typeof n === 'string');
  }

  function parseProperties(
    raw: unknown,
    path: string,
    depth: number,
    topLevel: boolean,
  ): Record<string, PropertySchema> | undefined {
    if (!isPlainObject(raw)) {
      add(path, 'must be an object mapping property names to schemas');
      return undefined;
    }
    const out: Record<string, PropertySchema> = {};
    for (const name of Object.keys(raw)) {
      const at = `${path}.${name}`;
      if (!PROPERTY_NAME_PATTERN.test(name)) {
        add(at, `property name must match ${PROPERTY_NAME_PATTERN.source}`);
        continue;
      }
      if (topLevel && name.startsWith('_')) {
        add(at, `top-level property names may not start with '_' (reserved for metadata columns)`);
        continue;
      }
      if (!topLevel && RESERVED_NESTED_NAMES.has(name)) {
        add(at, `'${name}' is a reserved name`);
        continue;
      }
      const p = parseProperty(raw[name], at, depth + 1);
      if (p) out[name] = p;
    }
    return out;
  }

  function checkBound(raw: Json, key: string, path: string, integerOnly: boolean): number | undefined {
    const v = own(raw, key);
    if (v === undefined) return undefined;
    if (
      integerOnly
        ? !(Number.isSafeInteger(v) && (v as number) >= 0)
        : !(typeof v === 'number' && Number.isFinite(v))
    ) {
      add(`${path}.${key}`, integerOnly ? 'must be a non-negative integer' : 'must be a finite number');
      return undefined;
    }
    return v as number;
  }

  function parseProperty(raw: unknown, path: string, depth: number): PropertySchema | undefined {
    if (!isPlainObject(raw)) {
      add(path, 'must be an object (a property schema)');
      return undefined;
    }
    if (depth > MAX_SCHEMA_DEPTH) {
      add(path, `nesting deeper than ${MAX_SCHEMA_DEPTH} levels is not supported`);
      return undefined;
    }
    for (const k of Object.keys(raw))
      if (!PROPERTY_KEYWORDS.has(k)) add(`${path}.${k}`, `unsupported keyword '${k}'`);

    const rawType = own(raw, 'type');
    const types = parseType(rawType, `${path}.type`);
    // Keep the author's spelling: a single name stays a string, an array stays an array.
    const out: PropertySchema = { type: !types ? 'string' : Array.isArray(rawType) ? [...types] : types[0] };
    // When the type itself is broken, keyword/type mismatches would only be noise.
    const has = (t: PrimitiveType): boolean => !types || types.includes(t);
    const needs = (key: string, ok: boolean, what: string): void => {
      if (own(raw, key) !== undefined && !ok) add(`${path}.${key}`, `'${key}' only applies to ${what}`);
    };

    const description = own(raw, 'description');
    if (description !== undefined) {
      if (typeof description === 'string') out.description = description;
      else add(`${path}.description`, 'must be a string');
    }

    const format = own(raw, 'format');
    if (format !== undefined) {
      if (typeof format !== 'string' || !(FORMAT_NAMES as readonly string[]).includes(format)) {
        add(
          `${path}.format`,
          `unsupported format ${describe(format)} (supported: ${FORMAT_NAMES.join(', ')})`,
        );
      } else out.format = format as FormatName;
      needs('format', has('string'), 'strings');
    }

    const en = own(raw, 'enum');
    if (en !== undefined) {
      if (!Array.isArray(en) || en.length === 0) add(`${path}.enum`, 'must be a non-empty array');
      else {
        const seen = new Set<string>();
        en.forEach((v, i) => {
          const at = `${path}.enum[${i}]`;
          const primitive =
            v === null ||
            typeof v === 'string' ||
            typeof v === 'boolean' ||
            (typeof v === 'number' && Number.isFinite(v));
          if (!primitive) return add(at, 'enum values must be strings, numbers, booleans or null');
          const key = JSON.stringify(v);
          if (seen.has(key)) return add(at, `duplicate enum value ${key}`);
          seen.add(key);
          if (types && !types.some((t) => matchesType(v, t)))
            add(at, `enum value ${describe(v)} does not match type ${types.join(' or ')}`);
        });
        // JSON Schema applies enum to null too, so a nullable enum that forgot null would reject it.
        if (types?.includes('null') && !en.includes(null))
          add(`${path}.enum`, 'must include null when the type allows null');
        out.enum = [...(en as unknown[])];
      }
    }

    const minimum = checkBound(raw, 'minimum', path, false);
    const maximum = checkBound(raw, 'maximum', path, false);
    needs('minimum', has('integer') || has('number'), 'numbers');
    needs('maximum', has('integer') || has('number'), 'numbers');
    if (minimum !== undefined) out.minimum = minimum;
    if (maximum !== undefined) out.maximum = maximum;
    if (minimum !== undefined && maximum !== undefined && minimum > maximum)
      add(`${path}.minimum`, `minimum ${minimum} is greater than maximum ${maximum}`);

    const minLength = checkBound(raw, 'minLength', path, true);
    const maxLength = checkBound(raw, 'maxLength', path, true);
    needs('minLength', has('string'), 'strings');
    needs('maxLength', has('string'), 'strings');
    if (minLength !== undefined) out.minLength = minLength;
    if (maxLength !== undefined) out.maxLength = maxLength;
    if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
      add(`${path}.minLength`, `minLength ${minLength} is greater than maxLength ${maxLength}`);
    }

    needs('properties', has('object'), 'objects');
    needs('required', has('object'), 'objects');
    needs('additionalProperties', has('object'), 'objects');
    const props = own(raw, 'properties');
    let declared: Json | undefined;
    if (props !== undefined) {
      const parsed = parseProperties(props, `${path}.properties`, depth, false);
      if (parsed) out.properties = parsed;
      declared = isPlainObject(props) ? props : undefined;
    }
    const required = own(raw, 'required');
    if (required !== undefined) {
      // Without `properties` any name is undeclared, so required entries must still be declared.
      const r = parseRequired(required, `${path}.required`, declared ?? {});
      if (r) out.required = r;
    }
    const additional = own(raw, 'additionalProperties');
    if (additional !== undefined) {
      if (typeof additional === 'boolean') out.additionalProperties = additional;
      else add(`${path}.additionalProperties`, 'must be a boolean (schemas are not supported)');
    }

    needs('items', has('array'), 'arrays');
    const items = own(raw, 'items');
    if (items !== undefined) {
      const parsed = parseProperty(items, `${path}.items`, depth + 1);
      if (parsed) out.items = parsed;
    }
    return out;
  }

  const root = 'schema';
  const result: ObjectSchema = { type: 'object', properties: {} };
  if (!isPlainObject(input)) add(root, 'must be an object');
  else {
    for (const k of Object.keys(input))
      if (!TOP_KEYWORDS.has(k)) add(`${root}.${k}`, `unsupported keyword '${k}'`);
    if (own(input, 'type') !== 'object') add(`${root}.type`, `must be 'object'`);
    const description = own(input, 'description');
    if (description !== undefined) {
      if (typeof description === 'string') result.description = description;
      else add(`${root}.description`, 'must be a string');
    }
    const props = own(input, 'properties');
    if (props === undefined) add(`${root}.properties`, 'is required');
    else {
      const parsed = parseProperties(props, `${root}.properties`, 0, true);
      if (parsed) result.properties = parsed;
    }
    const required = own(input, 'required');
    if (required !== undefined) {
      const r = parseRequired(required, `${root}.required`, isPlainObject(props) ? props : {});
      if (r) result.required = r;
    }
    const additional = own(input, 'additionalProperties');
    if (additional !== undefined) {
      if (typeof additional === 'boolean') result.additionalProperties = additional;
      else add(`${root}.additionalProperties`, 'must be a boolean (schemas are not supported)');
    }
    for (const k of ['$schema', 'title']) {
      const v = own(input, k);
      if (v !== undefined && typeof v !== 'string') add(`${root}.${k}`, 'must be a string');
    }
  }

  if (errors.length > 0) {
    const summary =
      errors.length === 1 ? `${errors[0].path}: ${errors[0].message}` : `${errors.length} problems`;
    throw new InvalidInputError(`schema is not valid (${summary})`, errors, 'invalid_schema');
  }
  return result;
}
