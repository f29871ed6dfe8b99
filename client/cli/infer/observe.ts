import { FORMAT_CHECKS, type FormatName } from '../../../api/domain/schema/formats.js';
import { guessCell } from '../input/csv-values.js';

/*
 * What `infer` learns from sampled records, field by field. Formats are checked with the server's own
 * checks (api/domain/schema/formats.ts), so a field infer calls date-time is one the server accepts as
 * date-time. uri is recognised too, though the schema subset has no uri format (see spec.ts).
 */

export type InferredFormat = FormatName | 'uri';
export const FORMATS: readonly InferredFormat[] = ['uuid', 'date-time', 'date', 'email', 'uri'];

/** More distinct values than this and a string field is not an enum. */
export const ENUM_MAX_VALUES = 10;
/** Enum values are codes, not prose. */
const ENUM_MAX_LENGTH = 64;

// An absolute URI with a scheme and something after it; URL() alone accepts too much ("a:b").
const URI = /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]+[^\s]*$/i;
const CHECKS: Record<InferredFormat, (s: string) => boolean> = {
  ...FORMAT_CHECKS,
  uri: (s) => URI.test(s),
};

export interface FieldStats {
  /** Objects in which the key was present (for array items: elements seen). */
  present: number;
  nulls: number;
  booleans: number;
  integers: number;
  /** Numbers that are not safe integers. */
  numbers: number;
  strings: number;
  objects: number;
  arrays: number;
  /** How many of the strings pass each format check. */
  formats: Record<InferredFormat, number>;
  /** Distinct short strings while there are at most ENUM_MAX_VALUES of them; undefined past that. */
  distinct: Set<string> | undefined;
  /** Top level only: the scalar values seen, while no value has repeated; undefined once one does. */
  unique: Set<string> | undefined;
  object?: ObjectStats;
  items?: FieldStats;
  /** CSV columns: how many of the (non-empty) cells read as each type. A column has one type. */
  cells?: { integers: number; numbers: number; booleans: number };
}

export interface ObjectStats {
  count: number;
  fields: Map<string, FieldStats>;
}

function newField(trackUnique: boolean): FieldStats {
  return {
    present: 0,
    nulls: 0,
    booleans: 0,
    integers: 0,
    numbers: 0,
    strings: 0,
    objects: 0,
    arrays: 0,
    formats: { uuid: 0, 'date-time': 0, date: 0, email: 0, uri: 0 },
    distinct: new Set(),
    unique: trackUnique ? new Set() : undefined,
  };
}

export function newObjectStats(): ObjectStats {
  return { count: 0, fields: new Map() };
}

function observeValue(f: FieldStats, v: unknown): void {
  if (v === null) f.nulls++;
  else if (typeof v === 'boolean') f.booleans++;
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) f.integers++;
    else f.numbers++;
  } else if (typeof v === 'string') {
    f.strings++;
    for (const name of FORMATS) if (CHECKS[name](v)) f.formats[name]++;
    if (f.distinct) {
      if (v.length > ENUM_MAX_LENGTH) f.distinct = undefined;
      else {
        f.distinct.add(v);
        if (f.distinct.size > ENUM_MAX_VALUES) f.distinct = undefined;
      }
    }
  } else if (Array.isArray(v)) {
    f.arrays++;
    for (const el of v) {
      f.items ??= newField(false);
      f.items.present++;
      observeValue(f.items, el);
    }
  } else if (typeof v === 'object') {
    f.objects++;
    f.object ??= newObjectStats();
    observeObject(f.object, v as Record<string, unknown>, false);
  }
}

function observeUnique(f: FieldStats, v: unknown): void {
  if (!f.unique) return;
  // Only strings and integers can be dedupe keys here; the type prefix keeps "1" and 1 apart.
  const key = typeof v === 'string' ? `s${v}` : Number.isSafeInteger(v) ? `n${String(v)}` : undefined;
  if (key === undefined || f.unique.has(key)) f.unique = undefined;
  else f.unique.add(key);
}

function observeCell(f: FieldStats, cell: string): void {
  f.cells ??= { integers: 0, numbers: 0, booleans: 0 };
  const v = guessCell(cell);
  if (Number.isSafeInteger(v)) f.cells.integers++;
  else if (typeof v === 'number') f.cells.numbers++;
  else if (typeof v === 'boolean') f.cells.booleans++;
}

export function observeObject(
  o: ObjectStats,
  record: Record<string, unknown>,
  topLevel: boolean,
  csv = false,
): void {
  o.count++;
  for (const [k, raw] of Object.entries(record)) {
    let f = o.fields.get(k);
    if (!f) {
      // A field first seen after some records was absent from those: no value of it repeats yet.
      f = newField(topLevel && o.count === 1);
      o.fields.set(k, f);
    }
    f.present++;
    // An empty CSV cell is a missing value; the others are observed as the text they are.
    const v = csv && raw === '' ? null : raw;
    observeValue(f, v);
    if (csv && typeof v === 'string') observeCell(f, v);
    if (topLevel) observeUnique(f, v);
  }
}

/** Feeds a sample in; `records` counts only JSON objects (anything else is noted by the caller). */
export class Sample {
  readonly root = newObjectStats();
  nonObjects = 0;

  add(value: unknown): void {
    if (value && typeof value === 'object' && !Array.isArray(value))
      observeObject(this.root, value as Record<string, unknown>, true);
    else this.nonObjects++;
  }

  /** A CSV row: its cells are typed per column (all integers, all numbers, all booleans, else strings). */
  addCsvRow(row: Record<string, string>): void {
    observeObject(this.root, row, true, true);
  }

  get records(): number {
    return this.root.count;
  }
}
