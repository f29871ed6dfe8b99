import { InvalidInputError } from '../../domain/errors.js';
// Names that reach SQL (tenants, streams, fields) must match the domain's pattern before they are quoted.
import { IDENTIFIER_PATTERN } from '../../domain/identifiers.js';

/**
 * The adapter's own names start with `_` so they can never collide with a user's; they are checked
 * against this closed list instead of the pattern.
 */
export const METADATA_NAMES = [
  '_tributary',
  '_extra',
  '_id',
  '_batch_id',
  '_index',
  '_received_at',
  '_schema_version',
  '_op',
  '_source_ts',
  '_source_position',
  '_source',
] as const;
export type MetadataName = (typeof METADATA_NAMES)[number];

const metadata = new Set<string>(METADATA_NAMES);

/** Throws InvalidInputError unless `name` is a user identifier; `what` names it in the error. */
export function checkIdentifier(name: string, what: string): string {
  if (typeof name !== 'string' || !IDENTIFIER_PATTERN.test(name)) {
    throw new InvalidInputError(`Invalid ${what} name`, [
      { path: what, message: `must match ${IDENTIFIER_PATTERN.source}` },
    ]);
  }
  return name;
}

/** A validated identifier (user or metadata), double-quoted. */
export function quote(name: string, what = 'identifier'): string {
  if (!metadata.has(name)) checkIdentifier(name, what);
  return `"${name}"`;
}

/** `"schema"."table"`, both validated. */
export function qualified(schema: string, table: string): string {
  return `${quote(schema, 'schema')}.${quote(table, 'table')}`;
}

/** A SQL string literal. Only for values that cannot be bound as parameters (table-function arguments). */
export function literal(value: string): string {
  if (/[\0\n\r]/.test(value)) throw new InvalidInputError('Invalid SQL literal: control characters', []);
  return `'${value.replaceAll("'", "''")}'`;
}
