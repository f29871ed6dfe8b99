/** fast-check generators for subset schemas and for records that satisfy them. */
import fc from 'fast-check';
import type {
  FormatName,
  ObjectSchema,
  PrimitiveType,
  PropertySchema,
} from '../../../api/domain/schema/index.js';

export const NAMES = ['id', 'amount', 'qty', 'name', 'kind', 'at', 'tags', 'meta', 'flag', 'x'] as const;

/** Values both this validator and ajv-formats judge the same way (edge cases live in formats.test.ts). */
export const FORMAT_SAMPLES: Record<FormatName, { valid: string[]; invalid: string[] }> = {
  'date-time': {
    valid: [
      '2024-05-01T12:34:56Z',
      '2024-02-29T00:00:00.123+05:30',
      '1999-12-31T23:59:59-08:00',
      '2024-05-01 12:34:56.5Z',
    ],
    invalid: ['2024-05-01T12:34:56', '2024-02-30T00:00:00Z', '2024-05-01', 'noon', '2024-05-01T25:00:00Z'],
  },
  date: {
    valid: ['2024-02-29', '2023-01-31', '0001-12-25'],
    invalid: ['2023-02-29', '2024-13-01', '2024/01/01', '24-01-01'],
  },
  email: {
    valid: ['a@b.co', 'first.last+tag@example.com', 'x_y@sub.example.org'],
    invalid: ['plain', 'a@', '@b.co', 'a b@c.de', 'a@localhost'],
  },
  uuid: {
    valid: [
      '3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2c',
      '00000000-0000-0000-0000-000000000000',
      'ABCDEF01-2345-6789-ABCD-EF0123456789',
    ],
    invalid: [
      '3f1c2b4a1d2e4f5a9b8c7d6e5f4a3b2c',
      '3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2',
      'zzzzzzzz-1d2e-4f5a-9b8c-7d6e5f4a3b2c',
    ],
  },
};

const nullable = (t: PrimitiveType): fc.Arbitrary<PrimitiveType | PrimitiveType[]> =>
  fc.oneof(fc.constant(t), fc.constant<PrimitiveType[]>([t, 'null']));

function withNull(p: PropertySchema): PropertySchema {
  // A nullable enum must list null (parse insists on it).
  if (Array.isArray(p.type) && p.type.includes('null') && p.enum && !p.enum.includes(null))
    return { ...p, enum: [...p.enum, null] };
  return p;
}

const bounds = (min: number, max: number): fc.Arbitrary<{ lo?: number; hi?: number }> =>
  fc
    .record({
      lo: fc.option(fc.integer({ min, max }), { nil: undefined }),
      hi: fc.option(fc.integer({ min, max }), { nil: undefined }),
    })
    .map(({ lo, hi }) => (lo !== undefined && hi !== undefined && lo > hi ? { lo: hi, hi: lo } : { lo, hi }));

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const stringSchema: fc.Arbitrary<PropertySchema> = fc.oneof(
  nullable('string').map((type): PropertySchema => ({ type })),
  fc
    .tuple(nullable('string'), fc.constantFrom<FormatName>('date-time', 'date', 'email', 'uuid'))
    .map(([type, format]): PropertySchema => ({ type, format })),
  fc
    .tuple(nullable('string'), bounds(0, 6))
    .map(([type, b]): PropertySchema => defined({ type, minLength: b.lo, maxLength: b.hi })),
  fc
    .tuple(nullable('string'), fc.uniqueArray(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 10 }))
    .map(([type, values]): PropertySchema => withNull({ type, enum: values })),
);

const integerSchema: fc.Arbitrary<PropertySchema> = fc.oneof(
  fc
    .tuple(nullable('integer'), bounds(-50, 50))
    .map(([type, b]): PropertySchema => defined({ type, minimum: b.lo, maximum: b.hi })),
  fc
    .tuple(
      nullable('integer'),
      fc.uniqueArray(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 10 }),
    )
    .map(([type, values]): PropertySchema => withNull({ type, enum: values })),
);

const numberSchema: fc.Arbitrary<PropertySchema> = fc
  .tuple(nullable('number'), bounds(-50, 50), fc.boolean())
  .map(([type, b, quarter]): PropertySchema =>
    defined({
      type,
      minimum: b.lo === undefined ? undefined : b.lo + (quarter ? 0.25 : 0),
      maximum: b.hi === undefined ? undefined : b.hi + 0.5,
    }),
  );

const leafSchema: fc.Arbitrary<PropertySchema> = fc.oneof(
  stringSchema,
  integerSchema,
  numberSchema,
  nullable('boolean').map((type): PropertySchema => ({ type })),
  fc.constantFrom<PropertySchema>(
    { type: ['integer', 'number'] },
    { type: ['string', 'integer', 'null'] },
    { type: ['boolean', 'string'] },
  ),
);

function objectPart(
  child: fc.Arbitrary<PropertySchema>,
  topLevel: boolean,
): fc.Arbitrary<{
  properties: Record<string, PropertySchema>;
  required: string[];
  additionalProperties?: boolean;
}> {
  return fc
    .record({
      properties: fc.dictionary(fc.constantFrom(...NAMES), child, {
        minKeys: topLevel ? 1 : 0,
        maxKeys: topLevel ? 8 : 3,
      }),
      requiredMask: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
      additionalProperties: fc.constantFrom(undefined, true, false),
    })
    .map(({ properties, requiredMask, additionalProperties }) => ({
      // dictionary builds objects with a prototype; copy so names like `constructor` never leak in.
      properties: { ...properties },
      required: Object.keys(properties).filter((_, i) => requiredMask[i]),
      ...(additionalProperties === undefined ? {} : { additionalProperties }),
    }));
}

export function propertySchema(depth: number): fc.Arbitrary<PropertySchema> {
  if (depth <= 0) return leafSchema;
  const child = propertySchema(depth - 1);
  return fc.oneof(
    { arbitrary: leafSchema, weight: 4 },
    {
      arbitrary: fc
        .tuple(nullable('object'), objectPart(child, false))
        .map(([type, part]): PropertySchema => ({ type, ...part })),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(nullable('array'), fc.option(child, { nil: undefined }))
        .map(([type, items]): PropertySchema => defined({ type, items })),
      weight: 1,
    },
    { arbitrary: fc.constant<PropertySchema>({ type: ['object', 'array'] }), weight: 1 },
  );
}

export const objectSchema: fc.Arbitrary<ObjectSchema> = objectPart(propertySchema(2), true).map(
  (part): ObjectSchema => ({ type: 'object', ...part }),
);

const typesOf = (p: PropertySchema): PrimitiveType[] => (Array.isArray(p.type) ? p.type : [p.type]);

/** A value valid under `p`. */
export function validValue(p: PropertySchema): fc.Arbitrary<unknown> {
  if (p.enum) return fc.constantFrom(...p.enum);
  return fc.oneof(...typesOf(p).map((t) => valueOfType(t, p)));
}

function valueOfType(t: PrimitiveType, p: PropertySchema): fc.Arbitrary<unknown> {
  switch (t) {
    case 'string':
      if (p.format) return fc.constantFrom(...FORMAT_SAMPLES[p.format].valid);
      return fc.string({
        unit: 'binary',
        minLength: p.minLength ?? 0,
        maxLength: p.maxLength ?? Math.max(8, p.minLength ?? 0),
      });
    case 'integer':
      return fc.integer({ min: Math.ceil(p.minimum ?? -1000), max: Math.floor(p.maximum ?? 1000) });
    case 'number':
      return fc.double({
        min: p.minimum ?? -1e6,
        max: p.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(p.items ? validValue(p.items) : jsonValue, { maxLength: 3 });
    case 'object':
      return validObject(p);
  }
}

/** An object valid under an object schema node, sometimes with undeclared extras when they are allowed. */
export function validObject(
  node: Pick<PropertySchema, 'properties' | 'required' | 'additionalProperties'>,
): fc.Arbitrary<Record<string, unknown>> {
  const props = node.properties ?? {};
  const required = new Set(node.required ?? []);
  const fields = Object.keys(props).map((name) =>
    required.has(name)
      ? validValue(props[name]).map((v) => [[name, v]] as Array<[string, unknown]>)
      : fc
          .option(validValue(props[name]), { nil: undefined })
          .map((v) => (v === undefined ? [] : [[name, v] as [string, unknown]])),
  );
  const extras =
    node.additionalProperties === false
      ? fc.constant([])
      : fc.array(fc.tuple(fc.constantFrom('extra_one', 'other', '__proto__', 'a/b'), jsonValue), {
          maxLength: 2,
        });
  return fc
    .tuple(fc.tuple(...fields), extras)
    .map(([parts, extra]) => Object.fromEntries([...parts.flat(), ...extra]));
}

/** JSON values with numbers kept in the safe range (ajv and this validator differ on huge "integers"). */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.integer({ min: -100, max: 100 }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(...Object.values(FORMAT_SAMPLES).flatMap((s) => [...s.valid, ...s.invalid])),
    fc.array(tie('value'), { maxLength: 3 }),
    fc
      .array(
        fc.tuple(fc.constantFrom<string>(...NAMES, '__proto__', 'a/b', 'c~d', 'constructor_x'), tie('value')),
        { maxLength: 4 },
      )
      .map((e) => Object.fromEntries(e)),
  ),
})).value;
