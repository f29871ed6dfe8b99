/**
 * Everything that turns a name or a value into SQL text. Tenant, stream and field names pass the
 * domain allow-list and are emitted double-quoted and upper-cased: quoting keeps them safe whatever
 * they are, upper-casing makes them the same objects an analyst reaches unquoted (`acme.orders_raw`).
 */
import { InvalidInputError } from '../../domain/errors.js';
import type { FieldError } from '../../domain/errors.js';
import { IDENTIFIER_PATTERN } from '../../domain/identifiers.js';

/** Names taken from configuration (database, warehouse, roles, storage integration). */
export const CONFIG_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,254}$/;

export function checkName(value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value !== 'string' || !IDENTIFIER_PATTERN.test(value)) {
    errors.push({ path, message: `must match ${IDENTIFIER_PATTERN.source}` });
  }
}

/** A validated domain name as a Snowflake identifier. Throws InvalidInputError on anything else. */
export function ident(name: string): string {
  if (!IDENTIFIER_PATTERN.test(name))
    throw new InvalidInputError(`Invalid identifier`, [
      { path: 'name', message: `must match ${IDENTIFIER_PATTERN.source}` },
    ]);
  return `"${name.toUpperCase()}"`;
}

/** A configured object name (created outside Tributary, usually unquoted, hence upper-case). */
export function configIdent(name: string, setting: string): string {
  if (!CONFIG_NAME_PATTERN.test(name)) {
    throw new InvalidInputError(`Invalid Snowflake setting ${setting}`, [
      { path: setting, message: 'must match ^[A-Za-z][A-Za-z0-9_]{0,254}$' },
    ]);
  }
  return `"${name.toUpperCase()}"`;
}

/** A Snowflake single-quoted string literal: backslash is an escape character there, so it is doubled too. */
export function lit(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Fully qualified name from already-quoted parts. */
export function qualify(...parts: string[]): string {
  return parts.join('.');
}
