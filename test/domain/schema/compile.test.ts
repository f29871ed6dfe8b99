import { describe, expect, it } from 'vitest';
import {
  compileValidator,
  parseObjectSchema,
  splitDeclared,
  type ObjectSchema,
  type PropertySchema,
} from '../../../api/domain/schema/index.js';

const one = (p: PropertySchema, required = false): ObjectSchema =>
  parseObjectSchema({ type: 'object', properties: { f: p }, ...(required ? { required: ['f'] } : {}) });
const check = (p: PropertySchema, value: unknown): unknown => compileValidator(one(p))({ f: value });

describe('compileValidator: the record itself', () => {
  const validate = compileValidator(one({ type: 'string' }));
  it.each([null, 1, 'x', true, [], [{ f: 'a' }]])('non-object %j is one error at the root', (value) => {
    expect(validate(value)).toEqual([{ path: '', message: 'must be an object' }]);
  });
  it('an empty object is valid when nothing is required', () => {
    expect(validate({})).toBeNull();
  });
});

describe('compileValidator: types', () => {
  it.each<[PropertySchema['type'], unknown, string | null]>([
    ['string', 'a', null],
    ['string', 1, 'must be string'],
    ['string', null, 'must be string'],
    ['integer', 3, null],
    ['integer', -0, null],
    ['integer', 3.5, 'must be integer'],
    ['integer', 2 ** 53, 'must be integer'],
    ['integer', Number.MAX_SAFE_INTEGER, null],
    ['integer', '3', 'must be integer'],
    ['number', 3.5, null],
    ['number', 3, null],
    ['number', Number.NaN, 'must be number'],
    ['number', Number.POSITIVE_INFINITY, 'must be number'],
    ['number', '3.5', 'must be number'],
    ['boolean', false, null],
    ['boolean', 0, 'must be boolean'],
    ['object', {}, null],
    ['object', [], 'must be object'],
    ['object', null, 'must be object'],
    ['array', [], null],
    ['array', {}, 'must be array'],
    [['string', 'null'], null, null],
    [['string', 'null'], 'a', null],
    [['string', 'null'], 1, 'must be string or null'],
    [['integer', 'number'], 1.5, null],
    [['integer', 'string'], 1.5, 'must be integer or string'],
    [['object', 'array', 'null'], [1], null],
    [['object', 'array', 'null'], 'x', 'must be object or array or null'],
  ])('%j with %j', (type, value, message) => {
    expect(check({ type }, value)).toEqual(message === null ? null : [{ path: '/f', message }]);
  });
});

describe('compileValidator: keywords', () => {
  it.each<[string, PropertySchema, unknown, string | null]>([
    ['enum hit', { type: 'string', enum: ['a', 'b'] }, 'b', null],
    ['enum miss', { type: 'string', enum: ['a', 'b'] }, 'c', 'must be one of ["a","b"]'],
    ['enum numbers', { type: 'integer', enum: [1, 2, 3] }, 2, null],
    ['enum numbers miss', { type: 'integer', enum: [1, 2, 3] }, 4, 'must be one of [1,2,3]'],
    ['nullable enum null', { type: ['string', 'null'], enum: ['a', null] }, null, null],
    ['boolean enum', { type: 'boolean', enum: [true] }, false, 'must be one of [true]'],
    ['large enum hit', { type: 'string', enum: 'abcdefghijkl'.split('') }, 'k', null],
    [
      'large enum miss',
      { type: 'string', enum: 'abcdefghijkl'.split('') },
      'z',
      `must be one of ${JSON.stringify('abcdefghijkl'.split(''))}`,
    ],
    ['minimum ok', { type: 'number', minimum: 0 }, 0, null],
    ['minimum broken', { type: 'number', minimum: 0 }, -0.5, 'must be >= 0'],
    ['maximum ok', { type: 'integer', maximum: 10 }, 10, null],
    ['maximum broken', { type: 'integer', maximum: 10 }, 11, 'must be <= 10'],
    ['fractional bound', { type: 'number', minimum: 0.25 }, 0.2, 'must be >= 0.25'],
    ['minLength ok', { type: 'string', minLength: 2 }, 'ab', null],
    ['minLength broken', { type: 'string', minLength: 2 }, 'a', 'must be at least 2 characters long'],
    ['minLength 1', { type: 'string', minLength: 1 }, '', 'must be at least 1 character long'],
    [
      'minLength counts code points',
      { type: 'string', minLength: 2 },
      '😀',
      'must be at least 2 characters long',
    ],
    ['maxLength ok with astral', { type: 'string', maxLength: 2 }, '😀😀', null],
    ['maxLength broken', { type: 'string', maxLength: 2 }, 'abc', 'must be at most 2 characters long'],
    ['date-time ok', { type: 'string', format: 'date-time' }, '2024-05-01T12:00:00+02:00', null],
    [
      'date-time broken',
      { type: 'string', format: 'date-time' },
      '2024-05-01T12:00:00',
      'must match format date-time',
    ],
    ['date ok', { type: 'string', format: 'date' }, '2024-02-29', null],
    ['date broken', { type: 'string', format: 'date' }, '2023-02-29', 'must match format date'],
    ['email ok', { type: 'string', format: 'email' }, 'a@example.com', null],
    ['email broken', { type: 'string', format: 'email' }, 'a@', 'must match format email'],
    ['uuid ok', { type: 'string', format: 'uuid' }, '3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2c', null],
    ['uuid broken', { type: 'string', format: 'uuid' }, 'not-a-uuid', 'must match format uuid'],
    ['format ignores null', { type: ['string', 'null'], format: 'uuid' }, null, null],
    ['bounds ignore null', { type: ['integer', 'null'], minimum: 5 }, null, null],
  ])('%s', (_name, p, value, message) => {
    expect(check(p, value)).toEqual(message === null ? null : [{ path: '/f', message }]);
  });

  it('reports every broken keyword on a string, but a type error alone', () => {
    const p: PropertySchema = { type: 'string', format: 'email', minLength: 10, maxLength: 2 };
    expect(compileValidator({ type: 'object', properties: { f: p } })({ f: 'abc' })).toEqual([
      { path: '/f', message: 'must match format email' },
      { path: '/f', message: 'must be at least 10 characters long' },
      { path: '/f', message: 'must be at most 2 characters long' },
    ]);
    expect(compileValidator({ type: 'object', properties: { f: p } })({ f: 5 })).toEqual([
      { path: '/f', message: 'must be string' },
    ]);
  });
});

describe('compileValidator: required and undeclared properties', () => {
  const schema = parseObjectSchema({
    type: 'object',
    required: ['id', 'constructor'],
    additionalProperties: false,
    properties: { id: { type: 'string' }, constructor: { type: 'string' }, note: { type: 'string' } },
  });
  const validate = compileValidator(schema);

  it('lists every missing required property and every undeclared one', () => {
    expect(validate({ note: 'x', extra: 1, 'a/b~c': 2 })).toEqual([
      { path: '/id', message: 'is required' },
      { path: '/constructor', message: 'is required' },
      { path: '/extra', message: 'undeclared property not allowed' },
      { path: '/a~1b~0c', message: 'undeclared property not allowed' },
    ]);
    expect(validate({ id: 'a', constructor: 'b' })).toBeNull();
  });

  it('does not take inherited Object.prototype members for properties', () => {
    expect(validate({ id: 'a' })).toEqual([{ path: '/constructor', message: 'is required' }]);
  });

  it('treats undefined as absent', () => {
    expect(validate({ id: undefined, constructor: 'b' })).toEqual([{ path: '/id', message: 'is required' }]);
  });

  it('treats __proto__ as an ordinary undeclared property', () => {
    const record: unknown = JSON.parse('{"id":"a","constructor":"b","__proto__":{"polluted":true}}');
    expect(validate(record)).toEqual([{ path: '/__proto__', message: 'undeclared property not allowed' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const open = compileValidator(
      parseObjectSchema({ type: 'object', properties: { id: { type: 'string' } } }),
    );
    expect(open(record)).toBeNull();
  });

  it('allows undeclared properties unless additionalProperties is false', () => {
    const open = compileValidator(
      parseObjectSchema({
        type: 'object',
        properties: { id: { type: 'string' } },
        additionalProperties: true,
      }),
    );
    expect(open({ id: 'a', anything: [1, 2] })).toBeNull();
  });

  it('copes with many declared names (set lookups)', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`p${i}`, { type: 'integer' }]),
    );
    const v = compileValidator(
      parseObjectSchema({ type: 'object', properties, additionalProperties: false }),
    );
    expect(v({ p0: 1, p19: 2 })).toBeNull();
    expect(v({ p0: 1, p20: 2 })).toEqual([{ path: '/p20', message: 'undeclared property not allowed' }]);
  });
});

describe('compileValidator: nesting', () => {
  const schema = parseObjectSchema({
    type: 'object',
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          required: ['sku', 'qty'],
          additionalProperties: false,
          properties: {
            sku: { type: 'string', minLength: 1 },
            qty: { type: 'integer', minimum: 1 },
            tags: { type: 'array', items: { type: ['string', 'null'], enum: ['a', 'b', null] } },
          },
        },
      },
      address: { type: ['object', 'null'], properties: { city: { type: 'string' } }, required: ['city'] },
      matrix: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
      free: { type: 'object' },
    },
  });
  const validate = compileValidator(schema);

  it('accepts a conforming record', () => {
    expect(
      validate({
        items: [{ sku: 'x', qty: 1, tags: ['a', null] }],
        address: null,
        matrix: [[1, 2.5], []],
        free: { anything: { goes: [1] } },
      }),
    ).toBeNull();
  });

  it('reports JSON Pointer paths with array indices', () => {
    expect(
      validate({
        items: [
          { sku: 'x', qty: 1 },
          { sku: '', qty: 0, tags: ['c'], color: 'red' },
          'nope',
          { qty: 'many' },
        ],
        address: { town: 'x' },
        matrix: [[1], [2, 'three']],
        free: [],
      }),
    ).toEqual([
      { path: '/items/1/sku', message: 'must be at least 1 character long' },
      { path: '/items/1/qty', message: 'must be >= 1' },
      { path: '/items/1/tags/0', message: 'must be one of ["a","b",null]' },
      { path: '/items/1/color', message: 'undeclared property not allowed' },
      { path: '/items/2', message: 'must be object' },
      { path: '/items/3/sku', message: 'is required' },
      { path: '/items/3/qty', message: 'must be integer' },
      { path: '/address/city', message: 'is required' },
      { path: '/matrix/1/1', message: 'must be number' },
      { path: '/free', message: 'must be object' },
    ]);
  });

  it('validates nested required names that have no property schema', () => {
    const v = compileValidator({ type: 'object', properties: { o: { type: 'object', required: ['x'] } } });
    expect(v({ o: {} })).toEqual([{ path: '/o/x', message: 'is required' }]);
    expect(v({ o: { x: 1 } })).toBeNull();
  });
});

describe('compileValidator: code generation safety', () => {
  it('embeds hostile strings only as data', () => {
    const hostile = '"); globalThis.pwned = true; ("';
    const v = compileValidator({
      type: 'object',
      properties: { f: { type: 'string', enum: [hostile, '\u2028\u2029', '</script>'] } },
    });
    expect(v({ f: hostile })).toBeNull();
    expect(v({ f: '\u2028\u2029' })).toBeNull();
    expect(v({ f: 'x' })?.[0].path).toBe('/f');
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it('refuses schemas it cannot embed safely', () => {
    expect(() =>
      compileValidator({ type: 'object', properties: { f: { type: 'number', minimum: Number.NaN } } }),
    ).toThrow(/finite/);
    expect(() =>
      compileValidator({ type: 'object', properties: { f: { type: 'object', enum: [{}] } } }),
    ).toThrow(/enum/);
    expect(() => compileValidator({ type: 'object', properties: { f: { type: 'date' as never } } })).toThrow(
      /unsupported type/,
    );
  });
});

describe('splitDeclared', () => {
  const schema = parseObjectSchema({
    type: 'object',
    properties: { b: { type: 'string' }, a: { type: 'integer' }, constructor: { type: 'string' } },
  });
  const split = splitDeclared(schema);

  it('returns a record with only declared properties as is (no copy) and reports no extra', () => {
    const record = { a: 1, b: 'x' };
    const out = split(record);
    expect(out.declared).toBe(record);
    expect(out.extra).toBeUndefined();
  });

  it('copies declared properties in schema order when there are extras', () => {
    const out = split({ a: 1, z: true, b: 'x' });
    expect(Object.keys(out.declared)).toEqual(['b', 'a']);
    expect(out.extra).toEqual({ z: true });
  });

  it('moves undeclared properties to extra, keeping null values as declared', () => {
    expect(split({ a: null, z: 1, y: { n: 2 } })).toEqual({
      declared: { a: null },
      extra: { z: 1, y: { n: 2 } },
      keys: 3,
    });
  });

  it('ignores undefined values and inherited members', () => {
    expect(split({ a: undefined, b: 'x' })).toEqual({ declared: { b: 'x' }, extra: undefined, keys: 2 });
    expect(split({}).declared).toEqual({});
  });

  it('keeps a __proto__ key as an ordinary extra property without touching prototypes', () => {
    const record = JSON.parse('{"a":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const out = split(record);
    expect(out.declared).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(out.extra)).toBe(Object.prototype);
    expect(Object.keys(out.extra ?? {})).toEqual(['__proto__']);
    expect(JSON.stringify(out.extra)).toBe('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('works for schemas with many properties', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`p${i}`, { type: 'integer' as const }]),
    );
    const s = splitDeclared({ type: 'object', properties });
    expect(s({ p0: 0, p11: 11, q: 1 })).toEqual({ declared: { p0: 0, p11: 11 }, extra: { q: 1 }, keys: 3 });
  });
});
