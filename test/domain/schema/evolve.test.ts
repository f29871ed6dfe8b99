import { describe, expect, it } from 'vitest';
import type { Compatibility } from '../../../api/domain/streams/types.js';
import {
  diffSchemas,
  evaluateEvolution,
  type ObjectSchema,
  type PropertySchema,
} from '../../../api/domain/schema/index.js';

const base: ObjectSchema = {
  type: 'object',
  required: ['id', 'amount'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    amount: { type: 'number', minimum: 0, maximum: 100 },
    qty: { type: 'integer', minimum: 1, maximum: 10 },
    status: { type: 'string', enum: ['new', 'paid'] },
    code: { type: 'string', minLength: 2, maxLength: 8 },
    note: { type: 'string', description: 'free text' },
    at: { type: 'string', format: 'date-time' },
    address: {
      type: 'object',
      required: ['city'],
      properties: { city: { type: 'string' }, zip: { type: 'string' } },
    },
    lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
    tags: { type: 'array' },
  },
};

type Patch = (s: ObjectSchema) => void;

function evolve(patch: Patch): ObjectSchema {
  const next = structuredClone(base);
  patch(next);
  return next;
}

const prop = (s: ObjectSchema, name: string): PropertySchema => s.properties[name];
const keyFields = ['id'];
const run = (to: ObjectSchema, compatibility: Compatibility) =>
  evaluateEvolution({ from: base, to, compatibility, keyFields });

/** [rule, patch, the change it makes, BACKWARD violation (or null), FULL violation (or null)] */
const rules: Array<
  [
    string,
    Patch,
    { field: string; change: string; from?: unknown; to?: unknown },
    string | null,
    string | null,
  ]
> = [
  [
    'add an optional property',
    (s) => (s.properties.extra = { type: 'string' }),
    { field: 'extra', change: 'added', to: { type: 'string' } },
    null,
    null,
  ],
  [
    'add a required property',
    (s) => {
      s.properties.extra = { type: 'string' };
      s.required = [...(s.required ?? []), 'extra'];
    },
    { field: 'extra', change: 'added', to: { type: 'string' } },
    'adding a required property is not allowed under BACKWARD',
    'adding a required property is not allowed under FULL',
  ],
  [
    'remove an optional property',
    (s) => delete s.properties.note,
    { field: 'note', change: 'removed', from: { type: 'string', description: 'free text' } },
    null,
    null,
  ],
  [
    'remove a required non-key property',
    (s) => {
      delete s.properties.amount;
      s.required = ['id'];
    },
    { field: 'amount', change: 'removed', from: { type: 'number', minimum: 0, maximum: 100 } },
    null,
    'removing a required property is not allowed under FULL',
  ],
  [
    'drop a property from required',
    (s) => (s.required = ['id']),
    { field: 'amount', change: 'required', from: true, to: false },
    null,
    'making a required property optional is not allowed under FULL',
  ],
  [
    'make an optional property required',
    (s) => (s.required = ['id', 'amount', 'qty']),
    { field: 'qty', change: 'required', from: false, to: true },
    'making an optional property required is not allowed under BACKWARD',
    'making an optional property required is not allowed under FULL',
  ],
  [
    'widen integer -> number',
    (s) => (prop(s, 'qty').type = 'number'),
    { field: 'qty', change: 'type', from: 'integer', to: 'number' },
    null,
    'changing type integer -> number is not allowed under FULL',
  ],
  [
    'widen integer -> [integer, number]',
    (s) => (prop(s, 'qty').type = ['integer', 'number']),
    { field: 'qty', change: 'type', from: 'integer', to: ['integer', 'number'] },
    null,
    'changing type integer -> integer | number is not allowed under FULL',
  ],
  [
    'narrow number -> integer',
    (s) => (prop(s, 'amount').type = 'integer'),
    { field: 'amount', change: 'type', from: 'number', to: 'integer' },
    'changing type number -> integer is not allowed under BACKWARD',
    'changing type number -> integer is not allowed under FULL',
  ],
  [
    'change string -> integer',
    (s) => (s.properties.note = { type: 'integer', description: 'free text' }),
    { field: 'note', change: 'type', from: 'string', to: 'integer' },
    'changing type string -> integer is not allowed under BACKWARD',
    'changing type string -> integer is not allowed under FULL',
  ],
  [
    'widen a column string -> [string, integer] (column becomes json)',
    (s) => (prop(s, 'note').type = ['string', 'integer']),
    { field: 'note', change: 'type', from: 'string', to: ['string', 'integer'] },
    'changing type string -> string | integer is not allowed under BACKWARD',
    'changing type string -> string | integer is not allowed under FULL',
  ],
  [
    'add null to a type',
    (s) => (prop(s, 'note').type = ['string', 'null']),
    { field: 'note', change: 'nullable', from: false, to: true },
    null,
    'adding null to the type is not allowed under FULL',
  ],
  [
    'add enum values',
    (s) => (prop(s, 'status').enum = ['new', 'paid', 'void']),
    { field: 'status', change: 'enum', from: ['new', 'paid'], to: ['new', 'paid', 'void'] },
    null,
    'changing enum values is not allowed under FULL',
  ],
  [
    'remove the enum',
    (s) => delete prop(s, 'status').enum,
    { field: 'status', change: 'enum', from: ['new', 'paid'], to: undefined },
    null,
    'changing enum values is not allowed under FULL',
  ],
  [
    'remove enum values',
    (s) => (prop(s, 'status').enum = ['new']),
    { field: 'status', change: 'enum', from: ['new', 'paid'], to: ['new'] },
    'removing enum values ["paid"] is not allowed under BACKWARD',
    'changing enum values is not allowed under FULL',
  ],
  [
    'add an enum',
    (s) => (prop(s, 'note').enum = ['a']),
    { field: 'note', change: 'enum', from: undefined, to: ['a'] },
    'adding an enum ["a"] is not allowed under BACKWARD',
    'changing enum values is not allowed under FULL',
  ],
  [
    'lower minimum',
    (s) => (prop(s, 'amount').minimum = -5),
    {
      field: 'amount',
      change: 'bounds',
      from: { minimum: 0, maximum: 100 },
      to: { minimum: -5, maximum: 100 },
    },
    null,
    'changing bounds is not allowed under FULL',
  ],
  [
    'raise maximum',
    (s) => (prop(s, 'amount').maximum = 1000),
    {
      field: 'amount',
      change: 'bounds',
      from: { minimum: 0, maximum: 100 },
      to: { minimum: 0, maximum: 1000 },
    },
    null,
    'changing bounds is not allowed under FULL',
  ],
  [
    'remove a bound',
    (s) => delete prop(s, 'qty').maximum,
    { field: 'qty', change: 'bounds', from: { minimum: 1, maximum: 10 }, to: { minimum: 1 } },
    null,
    'changing bounds is not allowed under FULL',
  ],
  [
    'lower minLength',
    (s) => (prop(s, 'code').minLength = 0),
    {
      field: 'code',
      change: 'bounds',
      from: { minLength: 2, maxLength: 8 },
      to: { minLength: 0, maxLength: 8 },
    },
    null,
    'changing bounds is not allowed under FULL',
  ],
  [
    'raise maxLength',
    (s) => (prop(s, 'code').maxLength = 80),
    {
      field: 'code',
      change: 'bounds',
      from: { minLength: 2, maxLength: 8 },
      to: { minLength: 2, maxLength: 80 },
    },
    null,
    'changing bounds is not allowed under FULL',
  ],
  [
    'raise minimum',
    (s) => (prop(s, 'amount').minimum = 1),
    {
      field: 'amount',
      change: 'bounds',
      from: { minimum: 0, maximum: 100 },
      to: { minimum: 1, maximum: 100 },
    },
    'raising minimum 0 -> 1 is not allowed under BACKWARD',
    'changing bounds is not allowed under FULL',
  ],
  [
    'lower maxLength',
    (s) => (prop(s, 'code').maxLength = 4),
    {
      field: 'code',
      change: 'bounds',
      from: { minLength: 2, maxLength: 8 },
      to: { minLength: 2, maxLength: 4 },
    },
    'lowering maxLength 8 -> 4 is not allowed under BACKWARD',
    'changing bounds is not allowed under FULL',
  ],
  [
    'add a bound',
    (s) => (prop(s, 'note').maxLength = 100),
    { field: 'note', change: 'bounds', from: {}, to: { maxLength: 100 } },
    'adding maxLength 100 is not allowed under BACKWARD',
    'changing bounds is not allowed under FULL',
  ],
  [
    'change a format',
    (s) => (prop(s, 'at').format = 'date'),
    { field: 'at', change: 'format', from: 'date-time', to: 'date' },
    'changing format date-time -> date is not allowed under BACKWARD',
    'changing format date-time -> date is not allowed under FULL',
  ],
  [
    'remove a format',
    (s) => delete prop(s, 'at').format,
    { field: 'at', change: 'format', from: 'date-time', to: undefined },
    'changing format date-time -> (none) is not allowed under BACKWARD',
    'changing format date-time -> (none) is not allowed under FULL',
  ],
  [
    'change a description',
    (s) => (prop(s, 'note').description = 'notes'),
    { field: 'note', change: 'description', from: 'free text', to: 'notes' },
    null,
    null,
  ],
  [
    'change the schema description',
    (s) => (s.description = 'orders'),
    { field: '', change: 'description', from: undefined, to: 'orders' },
    null,
    null,
  ],
  [
    'close additionalProperties true -> false',
    (s) => (s.additionalProperties = false),
    { field: '', change: 'additionalProperties', from: true, to: false },
    'changing additionalProperties true -> false is not allowed under BACKWARD',
    'changing additionalProperties true -> false is not allowed under FULL',
  ],
  [
    'add a nested optional property',
    (s) => (prop(s, 'address').properties = { ...prop(s, 'address').properties, street: { type: 'string' } }),
    { field: 'address.street', change: 'added', to: { type: 'string' } },
    null,
    null,
  ],
  [
    'narrow a nested type',
    (s) => (prop(s, 'address').properties = { ...prop(s, 'address').properties, zip: { type: 'integer' } }),
    { field: 'address.zip', change: 'type', from: 'string', to: 'integer' },
    'changing type string -> integer is not allowed under BACKWARD',
    'changing type string -> integer is not allowed under FULL',
  ],
  [
    'make a nested property required',
    (s) => (prop(s, 'address').required = ['city', 'zip']),
    { field: 'address.zip', change: 'required', from: false, to: true },
    'making an optional property required is not allowed under BACKWARD',
    'making an optional property required is not allowed under FULL',
  ],
  [
    'narrow an array item property',
    (s) =>
      (prop(s, 'lines').items = { type: 'object', properties: { sku: { type: 'string', format: 'uuid' } } }),
    { field: 'lines[].sku', change: 'format', from: undefined, to: 'uuid' },
    'changing format (none) -> uuid is not allowed under BACKWARD',
    'changing format (none) -> uuid is not allowed under FULL',
  ],
  [
    'add an items schema',
    (s) => (prop(s, 'tags').items = { type: 'string' }),
    { field: 'tags', change: 'items', from: undefined, to: { type: 'string' } },
    'adding an items schema is not allowed under BACKWARD',
    'changing the items schema is not allowed under FULL',
  ],
  [
    'remove an items schema',
    (s) => delete prop(s, 'lines').items,
    { field: 'lines', change: 'items', from: base.properties.lines.items, to: undefined },
    null,
    'changing the items schema is not allowed under FULL',
  ],
];

describe('evaluateEvolution: one rule at a time', () => {
  it('identical schemas are compatible with no changes', () => {
    for (const mode of ['BACKWARD', 'FULL'] as const)
      expect(run(structuredClone(base), mode)).toEqual({ compatible: true, changes: [], violations: [] });
  });

  describe.each(['BACKWARD', 'FULL'] as const)('%s', (mode) => {
    it.each(rules)('%s', (_name, patch, change, backward, full) => {
      const result = run(evolve(patch), mode);
      const expected = mode === 'BACKWARD' ? backward : full;
      expect(result.changes).toEqual([change]);
      expect(result.violations).toEqual(expected === null ? [] : [{ path: change.field, message: expected }]);
      expect(result.compatible).toBe(expected === null);
    });
  });

  it('opening additionalProperties is allowed under BACKWARD only', () => {
    const closed = { ...structuredClone(base), additionalProperties: false };
    const open = { ...structuredClone(base), additionalProperties: true };
    const change = { field: '', change: 'additionalProperties', from: false, to: true };
    expect(evaluateEvolution({ from: closed, to: open, compatibility: 'BACKWARD', keyFields })).toEqual({
      compatible: true,
      changes: [change],
      violations: [],
    });
    expect(
      evaluateEvolution({ from: closed, to: open, compatibility: 'FULL', keyFields }).violations,
    ).toEqual([
      { path: '', message: 'changing additionalProperties false -> true is not allowed under FULL' },
    ]);
    // An explicit `true` is the same as leaving it out.
    expect(diffSchemas(base, open)).toEqual([]);
  });
});

describe('evaluateEvolution: key fields and several violations', () => {
  it.each(['BACKWARD', 'FULL'] as const)('refuses to remove a key field under %s', (mode) => {
    const to = evolve((s) => {
      delete s.properties.id;
      s.required = ['amount'];
    });
    const result = run(to, mode);
    expect(result.compatible).toBe(false);
    expect(result.violations).toContainEqual({
      path: 'id',
      message: 'removing a key field (used by dedupe, entity or cluster keys) is not allowed',
    });
    // Removing it from the key first makes the same removal fine under BACKWARD.
    expect(evaluateEvolution({ from: base, to, compatibility: 'BACKWARD', keyFields: [] }).compatible).toBe(
      true,
    );
  });

  it('lists every violation, not just the first', () => {
    const to = evolve((s) => {
      s.properties.must = { type: 'string' };
      s.required = ['id', 'amount', 'qty', 'must'];
      prop(s, 'amount').type = 'integer';
      prop(s, 'amount').minimum = 5;
      prop(s, 'amount').maximum = 50;
      prop(s, 'status').enum = ['paid', 'void'];
      prop(s, 'at').format = 'date';
      delete s.properties.id;
      s.additionalProperties = false;
      prop(s, 'note').description = 'ok to change';
      prop(s, 'code').maxLength = 100;
    });
    const result = run(to, 'BACKWARD');
    expect(result.compatible).toBe(false);
    expect(result.violations).toEqual(
      expect.arrayContaining([
        { path: 'must', message: 'adding a required property is not allowed under BACKWARD' },
        { path: 'qty', message: 'making an optional property required is not allowed under BACKWARD' },
        { path: 'amount', message: 'changing type number -> integer is not allowed under BACKWARD' },
        { path: 'amount', message: 'raising minimum 0 -> 5 is not allowed under BACKWARD' },
        { path: 'amount', message: 'lowering maximum 100 -> 50 is not allowed under BACKWARD' },
        { path: 'status', message: 'removing enum values ["new"] is not allowed under BACKWARD' },
        { path: 'at', message: 'changing format date-time -> date is not allowed under BACKWARD' },
        {
          path: 'id',
          message: 'removing a key field (used by dedupe, entity or cluster keys) is not allowed',
        },
        { path: '', message: 'changing additionalProperties true -> false is not allowed under BACKWARD' },
      ]),
    );
    expect(result.violations).toHaveLength(9);
    expect(result.changes.map((c) => `${c.field}:${c.change}`).sort()).toEqual(
      [
        'must:added',
        'qty:required',
        'amount:type',
        'amount:bounds',
        'status:enum',
        'at:format',
        'id:removed',
        ':additionalProperties',
        'note:description',
        'code:bounds',
      ].sort(),
    );
  });

  it('compatible changes together stay compatible', () => {
    const to = evolve((s) => {
      s.properties.extra = { type: ['string', 'null'] };
      s.required = ['id'];
      prop(s, 'qty').type = 'number';
      delete prop(s, 'qty').maximum;
      prop(s, 'status').enum = ['new', 'paid', 'void'];
      prop(s, 'note').type = ['string', 'null'];
      delete s.properties.code;
    });
    const result = run(to, 'BACKWARD');
    expect(result.violations).toEqual([]);
    expect(result.changes).toHaveLength(7);
    expect(
      run(to, 'FULL')
        .violations.map((v) => v.path)
        .sort(),
    ).toEqual(['amount', 'note', 'qty', 'qty', 'status']);
  });

  it('does not descend into structure that stopped being an object', () => {
    const to = evolve((s) => (s.properties.address = { type: 'string' }));
    expect(diffSchemas(base, to)).toEqual([
      { field: 'address', change: 'type', from: 'object', to: 'string' },
    ]);
  });

  it('ignores enum and type order', () => {
    const from: ObjectSchema = {
      type: 'object',
      properties: { a: { type: ['string', 'null'], enum: ['x', 'y', null] } },
    };
    const to: ObjectSchema = {
      type: 'object',
      properties: { a: { type: ['null', 'string'], enum: [null, 'y', 'x'] } },
    };
    expect(diffSchemas(from, to)).toEqual([]);
  });
});

describe('diffSchemas', () => {
  it('describes removing null and adding a nested property', () => {
    const from: ObjectSchema = {
      type: 'object',
      properties: { a: { type: ['integer', 'null'] }, o: { type: 'object', properties: {} } },
    };
    const to: ObjectSchema = {
      type: 'object',
      properties: { a: { type: 'integer' }, o: { type: 'object', properties: { p: { type: 'boolean' } } } },
    };
    expect(diffSchemas(from, to)).toEqual([
      { field: 'a', change: 'nullable', from: true, to: false },
      { field: 'o.p', change: 'added', to: { type: 'boolean' } },
    ]);
    expect(evaluateEvolution({ from, to, compatibility: 'BACKWARD', keyFields: [] }).violations).toEqual([
      { path: 'a', message: 'removing null from the type is not allowed under BACKWARD' },
    ]);
  });
});
