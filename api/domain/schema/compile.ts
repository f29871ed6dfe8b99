import type { FieldError } from '../errors.js';
import { codePointLength, isDate, isDateTime, isEmail, isUuid } from './formats.js';
import type { ObjectSchema, PrimitiveType, PropertySchema } from './types.js';

/** Returns null for a valid record (allocating nothing), otherwise every error with a JSON Pointer path. */
export type RecordValidator = (value: unknown) => FieldError[] | null;

export interface SplitRecord {
  declared: Record<string, unknown>;
  /** Undeclared top-level properties; undefined when there are none. */
  extra?: Record<string, unknown>;
  /** The record's own top-level key count. */
  keys: number;
}
export type RecordSplitter = (record: Record<string, unknown>) => SplitRecord;

/** Helpers the generated code calls; passed in so the generated code closes over nothing else. */
const RUNTIME = {
  len: codePointLength,
  ptr: (key: string): string =>
    key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key,
  isDateTime,
  isDate,
  isEmail,
  isUuid,
};
/** The generated code binds each helper to a local once, so hot calls skip the property lookup. */
const PRELUDE = `const { ${Object.keys(RUNTIME).join(', ')} } = R;\n`;
const FORMAT_HELPERS: Readonly<Record<string, keyof typeof RUNTIME>> = {
  'date-time': 'isDateTime',
  date: 'isDate',
  email: 'isEmail',
  uuid: 'isUuid',
};
// Past this many names a Set lookup beats a chain of comparisons.
const INLINE_LIMIT = 8;

const lit = (v: unknown): string => JSON.stringify(v);

function finite(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw new TypeError(`schema ${what} must be a finite number`);
  return n;
}

/** JSON Pointer segment escaping (RFC 6901), done at compile time for declared names. */
function pointerSegment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * A path is built only when an error is reported: `parts` are static text and loop variables,
 * rendered into a JS expression such as `"/lines/" + i3 + "/sku"`.
 */
type PathParts = ReadonlyArray<{ text: string } | { variable: string }>;

function pathExpr(parts: PathParts): string {
  const merged: string[] = [];
  let text = '';
  for (const p of parts) {
    if ('text' in p) text += p.text;
    else {
      if (text) merged.push(lit(text));
      text = '';
      merged.push(p.variable);
    }
  }
  if (text || merged.length === 0) merged.push(lit(text));
  // Paths always start with text, so `+` concatenates rather than adds.
  return merged.join(' + ');
}

/** Reads an own property; names inherited from Object.prototype (`constructor`) need hasOwn. */
function readOwn(obj: string, name: string): string {
  return name in Object.prototype
    ? `(Object.hasOwn(${obj}, ${lit(name)}) ? ${obj}[${lit(name)}] : undefined)`
    : `${obj}[${lit(name)}]`;
}

class Generator {
  private next = 0;
  /** Values too big to inline (Sets), handed to the generated code as K[i]. */
  readonly constants: unknown[] = [];

  fresh(prefix: string): string {
    return `${prefix}${this.next++}`;
  }

  constant(v: unknown): string {
    this.constants.push(v);
    return `K[${this.constants.length - 1}]`;
  }

  memberTest(variable: string, names: readonly string[]): string {
    if (names.length === 0) return 'false';
    if (names.length <= INLINE_LIMIT) return names.map((n) => `${variable} === ${lit(n)}`).join(' || ');
    return `${this.constant(new Set(names))}.has(${variable})`;
  }

  error(path: string, message: string): string {
    return `(e || (e = [])).push({ path: ${path}, message: ${lit(message)} });`;
  }

  /** Checks an object's properties; `obj` is already known to be a non-array object. */
  objectBody(
    node: Pick<PropertySchema, 'properties' | 'required' | 'additionalProperties'>,
    obj: string,
    parts: PathParts,
  ): string {
    const props = node.properties ?? {};
    const required = new Set(node.required ?? []);
    const names = Object.keys(props);
    let code = '';
    for (const name of names) {
      const v = this.fresh('v');
      const at = [...parts, { text: `/${pointerSegment(name)}` }];
      code += `const ${v} = ${readOwn(obj, name)};\n`;
      const check = this.value(props[name], v, at);
      code += required.has(name)
        ? `if (${v} === undefined) ${this.error(pathExpr(at), 'is required')}\nelse {\n${check}}\n`
        : `if (${v} !== undefined) {\n${check}}\n`;
    }
    for (const name of required) {
      if (Object.hasOwn(props, name)) continue;
      const at = [...parts, { text: `/${pointerSegment(name)}` }];
      code += `if (${readOwn(obj, name)} === undefined) ${this.error(pathExpr(at), 'is required')}\n`;
    }
    if (node.additionalProperties === false) {
      const k = this.fresh('k');
      const at = pathExpr([...parts, { text: '/' }]);
      code += `for (const ${k} in ${obj}) {\n`;
      code += `if (!(${this.memberTest(k, names)})) ${this.error(`${at} + ptr(${k})`, 'undeclared property not allowed')}\n}\n`;
    }
    return code;
  }

  /** Checks one value against a property schema; type first, then the keywords for that type. */
  value(p: PropertySchema, v: string, parts: PathParts): string {
    const declared = Array.isArray(p.type) ? p.type : [p.type];
    // number accepts every integer, so an integer branch next to it would never be reached.
    const types = declared.filter(
      (t, i) => declared.indexOf(t) === i && !(t === 'integer' && declared.includes('number')),
    );
    if (types.length === 0) throw new TypeError('schema type must name at least one type');
    const at = pathExpr(parts);
    const enumCheck = p.enum ? this.enumCheck(p.enum, v) : undefined;
    const branches = types.map((t) => {
      // Like JSON Schema, every keyword is checked once the type matches, so each problem is listed.
      const enumCode = enumCheck
        ? `if (!(${enumCheck})) ${this.error(at, `must be one of ${lit(p.enum)}`)}\n`
        : '';
      return `if (${typeTest(t, v)}) {\n${enumCode}${this.typeSpecific(t, p, v, parts, at)}}\n`;
    });
    return `${branches.join('else ')}else ${this.error(at, `must be ${declared.join(' or ')}`)}\n`;
  }

  private enumCheck(values: readonly unknown[], v: string): string {
    for (const x of values) {
      const primitive =
        x === null ||
        typeof x === 'string' ||
        typeof x === 'boolean' ||
        (typeof x === 'number' && Number.isFinite(x));
      if (!primitive)
        throw new TypeError('schema enum values must be strings, finite numbers, booleans or null');
    }
    if (values.length <= INLINE_LIMIT) return values.map((x) => `${v} === ${lit(x)}`).join(' || ');
    return `${this.constant(new Set(values))}.has(${v})`;
  }

  private typeSpecific(t: PrimitiveType, p: PropertySchema, v: string, parts: PathParts, at: string): string {
    let code = '';
    switch (t) {
      case 'string': {
        if (p.format !== undefined) {
          if (!Object.hasOwn(FORMAT_HELPERS, p.format))
            throw new TypeError(`unsupported format ${lit(p.format)}`);
          code += `if (!${FORMAT_HELPERS[p.format]}(${v})) ${this.error(at, `must match format ${p.format}`)}\n`;
        }
        if (p.minLength !== undefined) {
          const m = finite(p.minLength, 'minLength');
          // Code points never exceed UTF-16 units and are at least half of them, so count only when unsure.
          code += `if (${v}.length < ${2 * m} && len(${v}) < ${m}) ${this.error(at, `must be at least ${m} ${m === 1 ? 'character' : 'characters'} long`)}\n`;
        }
        if (p.maxLength !== undefined) {
          const m = finite(p.maxLength, 'maxLength');
          code += `if (${v}.length > ${m} && len(${v}) > ${m}) ${this.error(at, `must be at most ${m} ${m === 1 ? 'character' : 'characters'} long`)}\n`;
        }
        return code;
      }
      case 'integer':
      case 'number': {
        if (p.minimum !== undefined)
          code += `if (${v} < ${finite(p.minimum, 'minimum')}) ${this.error(at, `must be >= ${p.minimum}`)}\n`;
        if (p.maximum !== undefined)
          code += `if (${v} > ${finite(p.maximum, 'maximum')}) ${this.error(at, `must be <= ${p.maximum}`)}\n`;
        return code;
      }
      case 'object':
        return p.properties || p.required || p.additionalProperties === false
          ? this.objectBody(p, v, parts)
          : '';
      case 'array': {
        if (!p.items) return '';
        const i = this.fresh('i');
        const item = this.fresh('v');
        return (
          `for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {\nconst ${item} = ${v}[${i}];\n` +
          `${this.value(p.items, item, [...parts, { text: '/' }, { variable: i }])}}\n`
        );
      }
      default:
        return '';
    }
  }
}

function typeTest(t: PrimitiveType, v: string): string {
  switch (t) {
    case 'string':
      return `typeof ${v} === "string"`;
    case 'integer':
      return `Number.isSafeInteger(${v})`;
    case 'number':
      return `Number.isFinite(${v})`;
    case 'boolean':
      return `typeof ${v} === "boolean"`;
    case 'null':
      return `${v} === null`;
    case 'object':
      return `typeof ${v} === "object" && ${v} !== null && !Array.isArray(${v})`;
    case 'array':
      return `Array.isArray(${v})`;
    default:
      throw new TypeError(`unsupported type ${lit(t)}`);
  }
}

/** The generated source of a validator, for debugging and tests. */
export function validatorSource(schema: ObjectSchema): { source: string; constants: unknown[] } {
  const g = new Generator();
  const body = g.objectBody(schema, 'r', []);
  const source =
    PRELUDE +
    `return function validate(r) {\n` +
    `if (typeof r !== "object" || r === null || Array.isArray(r)) return [{ path: "", message: "must be an object" }];\n` +
    `let e = null;\n${body}return e;\n};`;
  return { source, constants: g.constants };
}

/**
 * Compiles a (parsed) schema into a specialised validator. Names and values reach the generated
 * source only through JSON.stringify or as checked finite numbers, never as raw text.
 */
export function compileValidator(schema: ObjectSchema): RecordValidator {
  const { source, constants } = validatorSource(schema);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- deliberate: generated source (see above)
  const make = new Function('K', 'R', source) as (k: unknown[], r: typeof RUNTIME) => RecordValidator;
  return make(constants, RUNTIME);
}

/**
 * Splits a record into the properties the schema declares (in schema order) and the rest.
 * The common case, no extras, costs one read per declared name plus one key count.
 */
export function splitDeclared(schema: ObjectSchema): RecordSplitter {
  const names = Object.keys(schema.properties);
  const g = new Generator();
  // Count first: a record with only declared fields is returned as is, with no copy (the common case).
  let code = 'let c = 0;\nfor (const k in r) c++;\nlet n = 0;\n';
  for (const name of names) code += `if (${readOwn('r', name)} !== undefined) n++;\n`;
  code += 'if (c === n) return { declared: r, extra: undefined, keys: c };\nconst d = {};\nlet v;\n';
  for (const name of names) {
    const store =
      name === '__proto__'
        ? `Object.defineProperty(d, "__proto__", { value: v, enumerable: true, writable: true, configurable: true })`
        : `d[${lit(name)}] = v`;
    code += `v = ${readOwn('r', name)};\nif (v !== undefined) { ${store}; }\n`;
  }
  code +=
    `let x;\nfor (const k in r) {\n` +
    `if (${g.memberTest('k', names)}) continue;\n` +
    `if (x === undefined) x = {};\n` +
    // Assigning "__proto__" would replace x's prototype instead of adding a property.
    `if (k === "__proto__") Object.defineProperty(x, k, { value: r[k], enumerable: true, writable: true, configurable: true });\n` +
    `else x[k] = r[k];\n}\n` +
    `return { declared: d, extra: x, keys: c };`;
  const source = `return function split(r) {\n${code}\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- deliberate, as in compileValidator
  const make = new Function('K', source) as (k: unknown[]) => RecordSplitter;
  return make(g.constants);
}
