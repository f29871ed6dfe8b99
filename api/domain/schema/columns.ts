import type { Column, ColumnType, ObjectSchema, PropertySchema } from './types.js';

/** Metadata columns every raw table carries, in order, after the declared ones. */
export const META_COLUMNS = ['_id', '_batch_id', '_received_at', '_schema_version'] as const;
/** Holds fields the schema does not declare (kept unless additionalProperties is false). */
export const EXTRA_COLUMN = '_extra';

export function nonNullTypes(p: PropertySchema): string[] {
  const types = Array.isArray(p.type) ? p.type : [p.type];
  return types.filter((t) => t !== 'null');
}

/** Maps one property to its logical column type. Mixed types (other than null) fall back to json. */
export function columnTypeOf(p: PropertySchema): ColumnType {
  const types = nonNullTypes(p);
  if (types.length !== 1)
    return types.length === 2 && types.includes('integer') && types.includes('number') ? 'number' : 'json';
  switch (types[0]) {
    case 'string':
      if (p.format === 'date-time') return 'timestamp';
      if (p.format === 'date') return 'date';
      return 'string';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'json';
  }
}

/** Declared columns in schema order. A column is nullable unless required and its type excludes null. */
export function columnsOf(schema: ObjectSchema): Column[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, p]) => ({
    name,
    type: columnTypeOf(p),
    nullable: !required.has(name) || (Array.isArray(p.type) && p.type.includes('null')),
  }));
}
