import type { ObjectSchema, PropertySchema, SchemaChange } from './types.js';

const CONSTRAINTS = [
  'format',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'items',
  'properties',
  'description',
] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function typeText(p: PropertySchema): string {
  return Array.isArray(p.type) ? p.type.join(' | ') : p.type;
}

/**
 * Field-level differences between two schema versions, computed in the browser from the versions
 * list so any two versions can be compared (the API stores only consecutive changes).
 */
export function diffSchemas(from: ObjectSchema, to: ObjectSchema): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const a = from.properties ?? {};
  const b = to.properties ?? {};
  const reqA = new Set(from.required ?? []);
  const reqB = new Set(to.required ?? []);
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const field of names) {
    const pa = a[field];
    const pb = b[field];
    if (!pa && pb) {
      changes.push({ field, change: reqB.has(field) ? 'added (required)' : 'added', to: typeText(pb) });
      continue;
    }
    if (pa && !pb) {
      changes.push({ field, change: 'removed', from: typeText(pa) });
      continue;
    }
    if (!pa || !pb) continue;
    if (!same(pa.type, pb.type))
      changes.push({ field, change: 'type changed', from: typeText(pa), to: typeText(pb) });
    if (reqA.has(field) !== reqB.has(field)) {
      changes.push({ field, change: reqB.has(field) ? 'became required' : 'became optional' });
    }
    for (const c of CONSTRAINTS) {
      if (!same(pa[c], pb[c])) changes.push({ field, change: `${c} changed`, from: pa[c], to: pb[c] });
    }
  }
  if (!same(from.additionalProperties, to.additionalProperties)) {
    changes.push({
      field: '(schema)',
      change: 'additionalProperties changed',
      from: from.additionalProperties,
      to: to.additionalProperties,
    });
  }
  return changes;
}

/** A first, local check of an edited schema before the API's full validation. */
export function checkSchemaText(text: string): { schema?: ObjectSchema; error?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `Invalid JSON: ${jsonErrorWithLine(text, e)}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { error: 'The schema must be a JSON object.' };
  const s = value as Record<string, unknown>;
  if (s.type !== 'object') return { error: 'The schema must have "type": "object".' };
  if (!s.properties || typeof s.properties !== 'object' || Array.isArray(s.properties)) {
    return { error: 'The schema must have a "properties" object.' };
  }
  if (
    s.required !== undefined &&
    (!Array.isArray(s.required) || s.required.some((r) => typeof r !== 'string'))
  ) {
    return { error: '"required" must be an array of field names.' };
  }
  return { schema: value as ObjectSchema };
}

/** Turns "at position N" in a parse error into a line and column the user can find. */
function jsonErrorWithLine(text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}
