import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../web/src/api.js';
import {
  createReducer,
  initialCreateState,
  isSchemaPath,
  isValidName,
  nameError,
  specFromFields,
  splitErrors,
  SCHEMA_TEMPLATE,
  type CreateFields,
} from '../../../../web/src/views/editor/createForm.js';
import { checkSchemaText } from '../../../../web/src/schemaDiff.js';
import type { ObjectSchema } from '../../../../web/src/types.js';

const conflict = new ApiError({
  status: 400,
  title: 'Bad request',
  errors: [{ path: 'schema.properties.x', message: 'unsupported keyword' }],
});
const schema: ObjectSchema = { type: 'object', properties: { id: { type: 'string' } } };
const fields = (over: Partial<CreateFields>): CreateFields => ({ ...initialCreateState.fields, ...over });

describe('createReducer', () => {
  it('starts empty, with the schema template and BACKWARD compatibility', () => {
    expect(initialCreateState.busy).toBe(false);
    expect(initialCreateState.error).toBeUndefined();
    expect(initialCreateState.fields.name).toBe('');
    expect(initialCreateState.fields.compatibility).toBe('BACKWARD');
    expect(checkSchemaText(initialCreateState.fields.schemaText).schema).toBeDefined();
  });

  it('edits fields without touching the others', () => {
    const s = createReducer(initialCreateState, { type: 'edit', fields: { name: 'orders', dedupe: 'id' } });
    expect(s.fields).toEqual({ ...initialCreateState.fields, name: 'orders', dedupe: 'id' });
    expect(initialCreateState.fields.name).toBe('');
  });

  it("clears the API's error when the schema text changes, and only then", () => {
    const failed = createReducer(initialCreateState, { type: 'failed', error: conflict });
    expect(createReducer(failed, { type: 'edit', fields: { name: 'x' } }).error).toBe(conflict);
    expect(createReducer(failed, { type: 'edit', fields: { schemaText: '{}' } }).error).toBeUndefined();
  });

  it('is busy from submit until the answer, and a new submit clears the old error', () => {
    const failed = createReducer(initialCreateState, { type: 'failed', error: conflict });
    const submitted = createReducer(failed, { type: 'submitted' });
    expect(submitted).toMatchObject({ busy: true, error: undefined });
    expect(createReducer(submitted, { type: 'failed', error: conflict })).toMatchObject({
      busy: false,
      error: conflict,
    });
    expect(createReducer(submitted, { type: 'created' }).busy).toBe(false);
  });
});

describe('stream names', () => {
  it('accepts lower-case identifiers up to 63 characters', () => {
    expect(isValidName('orders_2')).toBe(true);
    expect(isValidName('a'.repeat(63))).toBe(true);
    expect(isValidName('a'.repeat(64))).toBe(false);
    expect(isValidName('Orders')).toBe(false);
    expect(isValidName('2orders')).toBe(false);
    expect(isValidName('')).toBe(false);
  });

  it('explains a bad name but not an empty one (not typed yet)', () => {
    expect(nameError('')).toBeUndefined();
    expect(nameError('orders')).toBeUndefined();
    expect(nameError('Orders')).toMatch(/lower-case name/);
  });
});

describe('specFromFields', () => {
  it('leaves blank optional fields out so the API applies its defaults', () => {
    expect(specFromFields(fields({ name: 'orders', description: '  ', entityKey: ' , ' }), schema)).toEqual({
      name: 'orders',
      schema,
      compatibility: 'BACKWARD',
    });
  });

  it('builds keys, lists and freshness from the comma-separated text', () => {
    const spec = specFromFields(
      fields({
        name: 'orders',
        description: ' Orders ',
        dedupe: 'id, at',
        entityKey: 'id',
        orderBy: ' at ',
        deleteField: 'gone',
        pii: 'email,phone',
        clusterBy: 'at',
        compatibility: 'FULL',
        silence: '30',
      }),
      schema,
    );
    expect(spec).toEqual({
      name: 'orders',
      description: 'Orders',
      schema,
      compatibility: 'FULL',
      dedupe: { key: ['id', 'at'] },
      entity: { key: ['id'], orderBy: 'at', deleteField: 'gone' },
      piiFields: ['email', 'phone'],
      clusterBy: ['at'],
      freshness: { maxSilenceMinutes: 30 },
    });
  });

  it('ignores order-by and delete fields without an entity key', () => {
    const spec = specFromFields(fields({ name: 'orders', orderBy: 'at', deleteField: 'gone' }), schema);
    expect(spec.entity).toBeUndefined();
  });
});

describe('schema error placement', () => {
  it('recognises the ways the API names a schema path', () => {
    for (const p of [
      'schema',
      'schema.properties.x',
      'body.schema.required',
      '/schema/properties',
      'body/schema',
    ])
      expect(isSchemaPath(p)).toBe(true);
    for (const p of ['name', 'schemas', 'dedupe.key', 'body.name', 'entity.schema'])
      expect(isSchemaPath(p)).toBe(false);
  });

  it('splits errors between the editor and the form', () => {
    const errors = [
      { path: 'schema.properties.x', message: 'a' },
      { path: 'dedupe.key', message: 'b' },
    ];
    expect(splitErrors(errors)).toEqual({ schema: [errors[0]], other: [errors[1]] });
  });

  it('offers a template that passes the local check', () => {
    expect(checkSchemaText(SCHEMA_TEMPLATE).error).toBeUndefined();
  });
});
