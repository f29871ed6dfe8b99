import { describe, expect, it } from 'vitest';
import { InvalidInputError, type FieldError } from '../../../api/domain/errors.js';
import { parseObjectSchema } from '../../../api/domain/schema/index.js';

/** The errors parseObjectSchema reports for `input` (fails the test if it accepts it). */
function problems(input: unknown): FieldError[] {
  try {
    parseObjectSchema(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    const e = err as InvalidInputError;
    expect(e.code).toBe('invalid_schema');
    return e.errors;
  }
  throw new Error('expected the schema to be rejected');
}

const withProp = (p: unknown, extra: Record<string, unknown> = {}): unknown => ({
  type: 'object',
  properties: { f: p },
  ...extra,
});

describe('parseObjectSchema accepts the subset', () => {
  it('returns a clean copy without $schema and title', () => {
    const input = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'Orders',
      description: 'one row per order',
      type: 'object',
      required: ['id'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', format: 'uuid', description: 'order id' },
        amount: { type: 'number', minimum: 0, maximum: 1e9 },
        qty: { type: 'integer', minimum: 1 },
        status: { type: ['string', 'null'], enum: ['new', 'paid', null] },
        email: { type: 'string', format: 'email', minLength: 3, maxLength: 254 },
        day: { type: 'string', format: 'date' },
        at: { type: 'string', format: 'date-time' },
        ok: { type: 'boolean' },
        address: {
          type: 'object',
          required: ['city'],
          additionalProperties: false,
          // Nested names may start with '_' as long as they are not metadata names.
          properties: { city: { type: 'string' }, _zip: { type: 'string' } },
        },
        lines: {
          type: 'array',
          items: { type: 'object', properties: { sku: { type: 'string' }, _note: { type: 'string' } } },
        },
        anything: { type: ['object', 'array', 'string', 'number', 'boolean', 'null'] },
      },
    };
    const out = parseObjectSchema(input);
    expect(out).not.toHaveProperty('$schema');
    expect(out).not.toHaveProperty('title');
    expect(out.description).toBe('one row per order');
    expect(out.required).toEqual(['id']);
    expect(out.additionalProperties).toBe(false);
    expect(Object.keys(out.properties)).toEqual(Object.keys(input.properties));
    expect(out.properties.status).toEqual({ type: ['string', 'null'], enum: ['new', 'paid', null] });
    expect(out.properties.address.properties).toEqual({ city: { type: 'string' }, _zip: { type: 'string' } });
    expect(out.properties.lines.items?.properties?.sku).toEqual({ type: 'string' });
    // A copy: mutating the input afterwards does not reach the result.
    input.properties.id.format = 'date';
    expect(out.properties.id.format).toBe('uuid');
  });

  it('accepts an empty properties object and keeps type spelling', () => {
    expect(parseObjectSchema({ type: 'object', properties: {} })).toEqual({ type: 'object', properties: {} });
    expect(parseObjectSchema(withProp({ type: ['integer'] })).properties.f.type).toEqual(['integer']);
    expect(parseObjectSchema(withProp({ type: 'integer' })).properties.f.type).toBe('integer');
  });
});

describe('parseObjectSchema rejects', () => {
  it.each([
    ['pattern', { type: 'string', pattern: '^a' }],
    ['oneOf', { type: 'string', oneOf: [{ type: 'string' }] }],
    ['anyOf', { type: 'string', anyOf: [] }],
    ['allOf', { type: 'string', allOf: [] }],
    ['not', { type: 'string', not: {} }],
    ['$ref', { type: 'string', $ref: '#/definitions/x' }],
    ['multipleOf', { type: 'number', multipleOf: 2 }],
    ['exclusiveMinimum', { type: 'number', exclusiveMinimum: 0 }],
    ['exclusiveMaximum', { type: 'number', exclusiveMaximum: 0 }],
    ['const', { type: 'string', const: 'a' }],
    ['default', { type: 'string', default: 'a' }],
    ['minItems', { type: 'array', minItems: 1 }],
    ['uniqueItems', { type: 'array', uniqueItems: true }],
    ['patternProperties', { type: 'object', patternProperties: {} }],
    ['title', { type: 'string', title: 'nested titles are not part of the subset' }],
  ])('unsupported property keyword %s, naming it', (keyword, prop) => {
    expect(problems(withProp(prop))).toEqual([
      { path: `schema.properties.f.${keyword}`, message: `unsupported keyword '${keyword}'` },
    ]);
  });

  it.each([['definitions'], ['$defs'], ['oneOf'], ['$ref'], ['if'], ['dependentRequired']])(
    'unsupported top-level keyword %s',
    (keyword) => {
      expect(problems({ type: 'object', properties: {}, [keyword]: {} })).toEqual([
        { path: `schema.${keyword}`, message: `unsupported keyword '${keyword}'` },
      ]);
    },
  );

  it('names every problem at once, with paths', () => {
    const errors = problems({
      type: 'object',
      properties: {
        amount: { type: 'number', multipleOf: 0.01, minimum: 10, maximum: 1 },
        code: { type: 'string', pattern: '^[A-Z]+$', minLength: 5, maxLength: 2 },
        Bad: { type: 'string' },
        _hidden: { type: 'string' },
        tags: { type: 'array', items: { type: 'string', format: 'uri' } },
        nested: { type: 'object', properties: { deep: { type: 'integer', $ref: '#/x' } } },
      },
      required: ['amount', 'missing'],
      additionalProperties: {},
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: 'schema.properties.amount.multipleOf', message: "unsupported keyword 'multipleOf'" },
        { path: 'schema.properties.amount.minimum', message: 'minimum 10 is greater than maximum 1' },
        { path: 'schema.properties.code.pattern', message: "unsupported keyword 'pattern'" },
        { path: 'schema.properties.code.minLength', message: 'minLength 5 is greater than maxLength 2' },
        { path: 'schema.properties.Bad', message: 'property name must match ^[a-z_][a-z0-9_]{0,62}$' },
        {
          path: 'schema.properties._hidden',
          message: "top-level property names may not start with '_' (reserved for metadata columns)",
        },
        {
          path: 'schema.properties.tags.items.format',
          message: 'unsupported format "uri" (supported: date-time, date, email, uuid)',
        },
        { path: 'schema.properties.nested.properties.deep.$ref', message: "unsupported keyword '$ref'" },
        { path: 'schema.required[1]', message: "'missing' is not a declared property" },
        { path: 'schema.additionalProperties', message: 'must be a boolean (schemas are not supported)' },
      ]),
    );
    expect(errors).toHaveLength(10);
  });

  it('non-objects and a wrong top level', () => {
    expect(problems(null)).toEqual([{ path: 'schema', message: 'must be an object' }]);
    expect(problems([])).toEqual([{ path: 'schema', message: 'must be an object' }]);
    expect(problems('{"type":"object"}')).toEqual([{ path: 'schema', message: 'must be an object' }]);
    expect(problems({ type: 'array', properties: {} })).toEqual([
      { path: 'schema.type', message: "must be 'object'" },
    ]);
    expect(problems({ type: 'object' })).toEqual([{ path: 'schema.properties', message: 'is required' }]);
    expect(problems({ type: 'object', properties: [] })).toEqual([
      { path: 'schema.properties', message: 'must be an object mapping property names to schemas' },
    ]);
    expect(problems({ type: 'object', properties: {}, description: 5, title: 1, $schema: false })).toEqual([
      { path: 'schema.description', message: 'must be a string' },
      { path: 'schema.$schema', message: 'must be a string' },
      { path: 'schema.title', message: 'must be a string' },
    ]);
  });

  it.each<[string, unknown, FieldError[]]>([
    ['missing type', {}, [{ path: 'schema.properties.f.type', message: 'is required' }]],
    [
      'unknown type',
      { type: 'date' },
      [{ path: 'schema.properties.f.type', message: 'unsupported type "date"' }],
    ],
    [
      'bare null',
      { type: 'null' },
      [
        {
          path: 'schema.properties.f.type',
          message: `'null' is only allowed inside a type array, e.g. ["string", "null"]`,
        },
      ],
    ],
    [
      'only null in array',
      { type: ['null'] },
      [{ path: 'schema.properties.f.type', message: "must name a type besides 'null'" }],
    ],
    ['empty type array', { type: [] }, [{ path: 'schema.properties.f.type', message: 'must not be empty' }]],
    [
      'duplicate type',
      { type: ['string', 'string'] },
      [{ path: 'schema.properties.f.type[1]', message: "duplicate type 'string'" }],
    ],
    [
      'bad type member',
      { type: ['string', 3] },
      [{ path: 'schema.properties.f.type[1]', message: 'unsupported type 3' }],
    ],
    [
      'type object value',
      { type: { a: 1 } },
      [{ path: 'schema.properties.f.type', message: 'must be a type name or an array of type names' }],
    ],
    [
      'property not an object',
      'string',
      [{ path: 'schema.properties.f', message: 'must be an object (a property schema)' }],
    ],
    [
      'format on a number',
      { type: 'integer', format: 'date' },
      [{ path: 'schema.properties.f.format', message: "'format' only applies to strings" }],
    ],
    [
      'unknown format',
      { type: 'string', format: 'hostname' },
      [
        {
          path: 'schema.properties.f.format',
          message: 'unsupported format "hostname" (supported: date-time, date, email, uuid)',
        },
      ],
    ],
    [
      'minimum on a string',
      { type: 'string', minimum: 1 },
      [{ path: 'schema.properties.f.minimum', message: "'minimum' only applies to numbers" }],
    ],
    [
      'maximum on a boolean',
      { type: 'boolean', maximum: 1 },
      [{ path: 'schema.properties.f.maximum', message: "'maximum' only applies to numbers" }],
    ],
    [
      'minLength on an integer',
      { type: 'integer', minLength: 1 },
      [{ path: 'schema.properties.f.minLength', message: "'minLength' only applies to strings" }],
    ],
    [
      'maxLength on an array',
      { type: 'array', maxLength: 1 },
      [{ path: 'schema.properties.f.maxLength', message: "'maxLength' only applies to strings" }],
    ],
    [
      'non-numeric minimum',
      { type: 'number', minimum: '1' },
      [{ path: 'schema.properties.f.minimum', message: 'must be a finite number' }],
    ],
    [
      'negative minLength',
      { type: 'string', minLength: -1 },
      [{ path: 'schema.properties.f.minLength', message: 'must be a non-negative integer' }],
    ],
    [
      'fractional maxLength',
      { type: 'string', maxLength: 1.5 },
      [{ path: 'schema.properties.f.maxLength', message: 'must be a non-negative integer' }],
    ],
    [
      'properties on a string',
      { type: 'string', properties: {} },
      [{ path: 'schema.properties.f.properties', message: "'properties' only applies to objects" }],
    ],
    [
      'required on an array',
      { type: 'array', required: [] },
      [{ path: 'schema.properties.f.required', message: "'required' only applies to objects" }],
    ],
    [
      'items on an object',
      { type: 'object', items: { type: 'string' } },
      [{ path: 'schema.properties.f.items', message: "'items' only applies to arrays" }],
    ],
    [
      'additionalProperties schema',
      { type: 'object', additionalProperties: { type: 'string' } },
      [
        {
          path: 'schema.properties.f.additionalProperties',
          message: 'must be a boolean (schemas are not supported)',
        },
      ],
    ],
    [
      'description not a string',
      { type: 'string', description: 1 },
      [{ path: 'schema.properties.f.description', message: 'must be a string' }],
    ],
    [
      'empty enum',
      { type: 'string', enum: [] },
      [{ path: 'schema.properties.f.enum', message: 'must be a non-empty array' }],
    ],
    [
      'enum of objects',
      { type: 'object', enum: [{}] },
      [
        {
          path: 'schema.properties.f.enum[0]',
          message: 'enum values must be strings, numbers, booleans or null',
        },
      ],
    ],
    [
      'duplicate enum value',
      { type: 'string', enum: ['a', 'a'] },
      [{ path: 'schema.properties.f.enum[1]', message: 'duplicate enum value "a"' }],
    ],
    [
      'enum value of the wrong type',
      { type: 'string', enum: ['a', 1] },
      [{ path: 'schema.properties.f.enum[1]', message: 'enum value 1 does not match type string' }],
    ],
    [
      'fractional enum value for integer',
      { type: 'integer', enum: [1, 1.5] },
      [{ path: 'schema.properties.f.enum[1]', message: 'enum value 1.5 does not match type integer' }],
    ],
    [
      'nullable enum without null',
      { type: ['string', 'null'], enum: ['a'] },
      [{ path: 'schema.properties.f.enum', message: 'must include null when the type allows null' }],
    ],
    [
      'nested required not declared',
      { type: 'object', properties: { a: { type: 'string' } }, required: ['b'] },
      [{ path: 'schema.properties.f.required[0]', message: "'b' is not a declared property" }],
    ],
    [
      'nested required without properties',
      { type: 'object', required: ['a'] },
      [{ path: 'schema.properties.f.required[0]', message: "'a' is not a declared property" }],
    ],
    [
      'nested required duplicated',
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'a'] },
      [{ path: 'schema.properties.f.required[1]', message: "'a' is listed twice" }],
    ],
    [
      'nested required not a list',
      { type: 'object', properties: {}, required: 'a' },
      [{ path: 'schema.properties.f.required', message: 'must be an array of property names' }],
    ],
    [
      'nested reserved name',
      { type: 'object', properties: { _id: { type: 'string' } } },
      [{ path: 'schema.properties.f.properties._id', message: "'_id' is a reserved name" }],
    ],
    [
      'nested __proto__',
      { type: 'object', properties: JSON.parse('{"__proto__": {"type": "string"}}') },
      [{ path: 'schema.properties.f.properties.__proto__', message: "'__proto__' is a reserved name" }],
    ],
    [
      'nested bad name',
      { type: 'object', properties: { 'a-b': { type: 'string' } } },
      [
        {
          path: 'schema.properties.f.properties.a-b',
          message: 'property name must match ^[a-z_][a-z0-9_]{0,62}$',
        },
      ],
    ],
    [
      'bad items',
      { type: 'array', items: { type: 'string', pattern: 'x' } },
      [{ path: 'schema.properties.f.items.pattern', message: "unsupported keyword 'pattern'" }],
    ],
  ])('%s', (_name, prop, expected) => {
    expect(problems(withProp(prop))).toEqual(expected);
  });

  it('bad required references at the top level', () => {
    expect(
      problems({ type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'b', 'a', 3] }),
    ).toEqual([
      { path: 'schema.required[1]', message: "'b' is not a declared property" },
      { path: 'schema.required[2]', message: "'a' is listed twice" },
      { path: 'schema.required[3]', message: 'must be a property name' },
    ]);
    expect(problems({ type: 'object', properties: {}, required: {} })).toEqual([
      { path: 'schema.required', message: 'must be an array of property names' },
    ]);
  });

  it('property names: pattern, length, leading underscore at the top', () => {
    const long = `a${'b'.repeat(63)}`;
    const errors = problems({
      type: 'object',
      properties: {
        [long]: { type: 'string' },
        '9lives': { type: 'string' },
        café: { type: 'string' },
        __proto__x: { type: 'string' },
        _id: { type: 'string' },
        ok_1: { type: 'string' },
      },
    });
    expect(errors.map((e) => e.path)).toEqual([
      `schema.properties.${long}`,
      'schema.properties.9lives',
      'schema.properties.café',
      'schema.properties.__proto__x',
      'schema.properties._id',
    ]);
    expect(() =>
      parseObjectSchema({ type: 'object', properties: { [long.slice(0, 63)]: { type: 'string' } } }),
    ).not.toThrow();
  });

  it('a top-level __proto__ key is an ordinary rejected name and pollutes nothing', () => {
    const input: unknown = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"string"},"a":{"type":"string"}}}',
    );
    expect(problems(input)).toEqual([
      {
        path: 'schema.properties.__proto__',
        message: "top-level property names may not start with '_' (reserved for metadata columns)",
      },
    ]);
    expect(({} as Record<string, unknown>).type).toBeUndefined();
  });

  it('too deep nesting', () => {
    let p: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 20; i++) p = { type: 'array', items: p };
    const errors = problems(withProp(p));
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe('nesting deeper than 16 levels is not supported');
  });

  it('summarises a single problem in the error message', () => {
    expect(() => parseObjectSchema(withProp({ type: 'string', pattern: 'x' }))).toThrow(
      "schema is not valid (schema.properties.f.pattern: unsupported keyword 'pattern')",
    );
  });
});
