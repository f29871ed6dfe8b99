import type { PrimitiveType } from '../../../api/domain/schema/types.js';

/*
 * CSV cells are text. push types them by the stream's schema when it can read it; infer guesses.
 * The rules (README `### CLI`):
 * - a column the schema does not declare (or no schema) stays a string, empty or not;
 * - an empty cell is null when the type allows null, otherwise the field is left out;
 * - integer: an optional sign and digits; number: a decimal or exponent form; boolean: true/false
 *   (any case); object/array: JSON text of that kind; otherwise the text as a string;
 * - a cell that fits none of the declared types is sent as the string it is, so the server's
 *   answer names the field and the rule it breaks.
 */

export type ColumnTypes = Record<string, PrimitiveType[]>;

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Guessing is stricter: a leading zero ("02134") means a code, not a number.
const GUESS_INTEGER = /^-?(0|[1-9]\d*)$/;
const GUESS_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

const NO_VALUE = Symbol('no value');

function convert(cell: string, type: PrimitiveType): unknown {
  switch (type) {
    case 'integer':
      if (INTEGER.test(cell) && Number.isSafeInteger(Number(cell))) return Number(cell);
      return NO_VALUE;
    case 'number':
      return NUMBER.test(cell) && Number.isFinite(Number(cell)) ? Number(cell) : NO_VALUE;
    case 'boolean': {
      const lower = cell.toLowerCase();
      return lower === 'true' ? true : lower === 'false' ? false : NO_VALUE;
    }
    case 'object':
    case 'array':
      try {
        const v: unknown = JSON.parse(cell);
        const isArray = Array.isArray(v);
        return v !== null && typeof v === 'object' && isArray === (type === 'array') ? v : NO_VALUE;
      } catch {
        return NO_VALUE;
      }
    default:
      return NO_VALUE;
  }
}

/** Order of preference for a cell a union type could read several ways. */
const PREFERENCE: PrimitiveType[] = ['integer', 'number', 'boolean', 'object', 'array'];

/** One row typed by the schema's column types (undefined: no schema, everything stays a string). */
export function typeRow(
  row: Record<string, string>,
  types: ColumnTypes | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, cell] of Object.entries(row)) {
    const declared = types && Object.hasOwn(types, name) ? types[name] : undefined;
    if (!declared) {
      out[name] = cell;
      continue;
    }
    if (cell === '') {
      if (declared.includes('null')) out[name] = null;
      continue;
    }
    let value: unknown = cell;
    for (const t of PREFERENCE) {
      if (!declared.includes(t)) continue;
      const v = convert(cell, t);
      if (v !== NO_VALUE) {
        value = v;
        break;
      }
    }
    out[name] = value;
  }
  return out;
}

/** What a cell looks like with no schema to go by: empty is null; numbers and booleans read as such. */
export function guessCell(cell: string): unknown {
  if (cell === '') return null;
  if (GUESS_INTEGER.test(cell) && Number.isSafeInteger(Number(cell))) return Number(cell);
  if (GUESS_NUMBER.test(cell) && Number.isFinite(Number(cell))) return Number(cell);
  const lower = cell.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  return cell;
}

/** The column types of a stream schema's top-level properties. */
export function columnTypesOf(schema: { properties?: unknown }): ColumnTypes {
  const out: ColumnTypes = {};
  for (const [name, p] of Object.entries((schema.properties ?? {}) as Record<string, { type?: unknown }>)) {
    const t = p.type;
    out[name] = (Array.isArray(t) ? t : [t]).filter((x): x is PrimitiveType => typeof x === 'string');
  }
  return out;
}
