import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileValidator,
  evaluateEvolution,
  parseObjectSchema,
  splitDeclared,
  type ObjectSchema,
  type PrimitiveType,
  type PropertySchema,
} from '../../../api/domain/schema/index.js';
import { jsonValue, objectSchema, validObject } from './arbitraries.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const RUNS = { numRuns: 200 };

function ajvFor(schema: ObjectSchema) {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** ajv's errors as the set of JSON Pointers they concern. */
function ajvPaths(errors: ErrorObject[] | null | undefined): string[] {
  const escape = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');
  const paths = (errors ?? []).map((e) => {
    if (e.keyword === 'required')
      return `${e.instancePath}/${escape((e.params as { missingProperty: string }).missingProperty)}`;
    if (e.keyword === 'additionalProperties')
      return `${e.instancePath}/${escape((e.params as { additionalProperty: string }).additionalProperty)}`;
    return e.instancePath;
  });
  return [...new Set(paths)].sort();
}

const ourPaths = (errors: Array<{ path: string }> | null): string[] =>
  [...new Set((errors ?? []).map((e) => e.path))].sort();

/** A record valid under the schema, the same damaged (one value replaced anywhere in the tree), or any JSON. */
const inputFor = (schema: ObjectSchema): fc.Arbitrary<unknown> =>
  fc.oneof(
    validObject(schema),
    fc.tuple(validObject(schema), fc.nat(), jsonValue).map(([r, n, v]) => damage(r, n, v)),
    jsonValue,
  );
const recordAndSchema = objectSchema.chain((schema) =>
  fc.record({ schema: fc.constant(schema), record: inputFor(schema) }),
);

function damage(record: Record<string, unknown>, n: number, replacement: unknown): Record<string, unknown> {
  const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        slots.push([v, i]);
        walk(x);
      });
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        slots.push([o, k]);
        walk(o[k]);
      }
    }
  };
  const copy = structuredClone(record);
  walk(copy);
  if (slots.length === 0) return { ...copy, junk: replacement };
  const [holder, key] = slots[n % slots.length];
  if (Array.isArray(holder)) holder[key as number] = replacement;
  else
    Object.defineProperty(holder, key, {
      value: replacement,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

const typesOf = (p: PropertySchema): PrimitiveType[] => (Array.isArray(p.type) ? p.type : [p.type]);
const SAMPLES: Array<[unknown, (t: PrimitiveType[]) => boolean]> = [
  [true, (t) => t.includes('boolean')],
  ['text', (t) => t.includes('string')],
  [1.5, (t) => t.includes('number')],
  [{}, (t) => t.includes('object')],
  [[], (t) => t.includes('array')],
  [null, (t) => t.includes('null')],
];

describe('validator properties', () => {
  it('generated schemas are inside the subset (parse accepts them unchanged)', () => {
    fc.assert(
      fc.property(objectSchema, (schema) => {
        expect(parseObjectSchema(schema)).toEqual(schema);
      }),
      RUNS,
    );
  });

  it('any record generated to satisfy a schema validates', () => {
    fc.assert(
      fc.property(
        objectSchema.chain((schema) => fc.tuple(fc.constant(schema), validObject(schema))),
        ([schema, record]) => {
          expect(compileValidator(schema)(record)).toBeNull();
        },
      ),
      RUNS,
    );
  });

  it("giving a required field a value of the wrong type is an error at that field's path", () => {
    const arb = objectSchema
      .filter((s) => (s.required ?? []).length > 0)
      .chain((schema) =>
        fc.tuple(fc.constant(schema), validObject(schema), fc.constantFrom(...(schema.required ?? []))),
      );
    fc.assert(
      fc.property(arb, ([schema, record, field]) => {
        const types = typesOf(schema.properties[field]);
        const wrong = SAMPLES.find(([, fits]) => !fits(types));
        fc.pre(wrong !== undefined);
        const errors = compileValidator(schema)({ ...record, [field]: wrong?.[0] });
        expect(errors).toContainEqual({ path: `/${field}`, message: `must be ${types.join(' or ')}` });
      }),
      RUNS,
    );
  });

  it('agrees with ajv on validity and error paths for random schemas and inputs', () => {
    // Compiling with ajv is the slow part, so each schema is checked against several inputs.
    const arb = objectSchema.chain((schema) =>
      fc.tuple(fc.constant(schema), fc.array(inputFor(schema), { minLength: 12, maxLength: 12 })),
    );
    fc.assert(
      fc.property(arb, ([schema, inputs]) => {
        const ajv = ajvFor(schema);
        const validate = compileValidator(schema);
        for (const input of inputs) {
          const ours = validate(input);
          const valid = ajv(input);
          expect(ours === null).toBe(valid);
          const isObject = input !== null && typeof input === 'object' && !Array.isArray(input);
          expect(ourPaths(ours)).toEqual(isObject ? ajvPaths(ajv.errors) : valid ? [] : ['']);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(
        objectSchema,
        fc.oneof(
          fc.jsonValue(),
          fc.anything({
            withNullPrototype: true,
            withBigInt: true,
            withMap: true,
            withSet: true,
            withTypedArray: true,
            withSparseArray: true,
          }),
        ),
        (schema, value) => {
          const errors = compileValidator(schema)(value);
          expect(errors === null || errors.length > 0).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('splitDeclared partitions the top-level keys', () => {
    fc.assert(
      fc.property(recordAndSchema, ({ schema, record }) => {
        fc.pre(record !== null && typeof record === 'object' && !Array.isArray(record));
        const r = record as Record<string, unknown>;
        const { declared, extra } = splitDeclared(schema)(r);
        expect(Object.keys(declared).every((k) => Object.hasOwn(schema.properties, k))).toBe(true);
        expect(Object.keys(extra ?? {}).every((k) => !Object.hasOwn(schema.properties, k))).toBe(true);
        expect(extra === undefined || Object.keys(extra).length > 0).toBe(true);
        expect([...Object.keys(declared), ...Object.keys(extra ?? {})].sort()).toEqual(Object.keys(r).sort());
      }),
      RUNS,
    );
  });
});

/** Changes BACKWARD allows; each keeps every previously valid record valid. */
const relaxations: Array<(p: PropertySchema) => PropertySchema> = [
  (p) =>
    typesOf(p).includes('integer') && !typesOf(p).includes('number')
      ? { ...p, type: typesOf(p).map((t) => (t === 'integer' ? 'number' : t)) }
      : p,
  (p) =>
    typesOf(p).includes('null')
      ? p
      : { ...p, type: [...typesOf(p), 'null'], ...(p.enum ? { enum: [...p.enum, null] } : {}) },
  (p) => (p.minimum === undefined ? p : { ...p, minimum: p.minimum - 1 }),
  (p) => (p.maximum === undefined ? p : { ...p, maximum: p.maximum + 1 }),
  (p) => (p.maxLength === undefined ? p : { ...p, maxLength: undefined }),
  (p) => (p.minLength === undefined ? p : { ...p, minLength: 0 }),
  (p) => (p.enum === undefined ? p : { ...p, enum: undefined }),
  (p) => ({ ...p, description: 'changed' }),
];

describe('evolution properties', () => {
  it('a schema evolving into itself is compatible with no changes', () => {
    fc.assert(
      fc.property(
        objectSchema,
        fc.constantFrom('BACKWARD' as const, 'FULL' as const),
        (schema, compatibility) => {
          expect(
            evaluateEvolution({
              from: schema,
              to: structuredClone(schema),
              compatibility,
              keyFields: Object.keys(schema.properties),
            }),
          ).toEqual({
            compatible: true,
            changes: [],
            violations: [],
          });
        },
      ),
      RUNS,
    );
  });

  it('relaxations are BACKWARD compatible and keep old records valid', () => {
    const arb = objectSchema.chain((schema) =>
      fc.tuple(
        fc.constant(schema),
        fc.array(
          fc.tuple(fc.constantFrom(...Object.keys(schema.properties)), fc.nat(relaxations.length - 1)),
          { maxLength: 5 },
        ),
        fc.array(validObject(schema), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
      ),
    );
    fc.assert(
      fc.property(arb, ([from, steps, records, addOptional]) => {
        const to = structuredClone(from);
        for (const [name, i] of steps)
          to.properties[name] = JSON.parse(
            JSON.stringify(relaxations[i](to.properties[name])),
          ) as PropertySchema;
        if (addOptional) to.properties.brand_new = { type: 'string' };
        to.required = (to.required ?? []).slice(1);
        const result = evaluateEvolution({
          from,
          to,
          compatibility: 'BACKWARD',
          keyFields: Object.keys(from.properties),
        });
        expect(result.violations).toEqual([]);
        const validate = compileValidator(parseObjectSchema(to));
        for (const r of records) if (!('brand_new' in r)) expect(validate(r)).toBeNull();
      }),
      RUNS,
    );
  });
});
