import { describe, expect, it } from 'vitest';
import { columnTypesOf, typeRow } from '../../../client/cli/input/csv-values.js';

describe('CSV values typed by the schema', () => {
  const types = columnTypesOf({
    properties: {
      n: { type: 'integer' },
      x: { type: ['number', 'null'] },
      ok: { type: 'boolean' },
      tags: { type: 'array' },
      meta: { type: ['object', 'null'] },
      code: { type: 'string' },
      either: { type: ['integer', 'string'] },
    },
  });

  it('reads each declared type from its text', () => {
    expect(
      typeRow(
        { n: '+42', x: '-1.5e3', ok: 'TRUE', tags: '["a"]', meta: '{"k":1}', code: '007', either: '12' },
        types,
      ),
    ).toEqual({ n: 42, x: -1500, ok: true, tags: ['a'], meta: { k: 1 }, code: '007', either: 12 });
  });

  it('makes an empty cell null where null is allowed, and leaves the field out otherwise', () => {
    expect(typeRow({ n: '', x: '', code: '', meta: '' }, types)).toEqual({ x: null, meta: null });
  });

  it('sends a cell that fits no declared type as its text, for the server to name', () => {
    expect(typeRow({ n: '1.5', ok: 'yes', tags: '{"not":"array"}', either: 'twelve' }, types)).toEqual({
      n: '1.5',
      ok: 'yes',
      tags: '{"not":"array"}',
      either: 'twelve',
    });
  });

  it('keeps undeclared columns, and everything without a schema, as strings', () => {
    expect(typeRow({ extra: '1', n: '2' }, types)).toEqual({ extra: '1', n: 2 });
    expect(typeRow({ n: '2', empty: '' }, undefined)).toEqual({ n: '2', empty: '' });
  });
});
