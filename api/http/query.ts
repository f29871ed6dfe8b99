import { z } from 'zod';
import { InvalidInputError, type FieldError } from '../domain/errors.js';

/**
 * The query string with one value per parameter the route declares. A declared parameter given more
 * than once is refused rather than resolved: the Node server sees the first value and a load balancer
 * without multi-value headers passes only the last, so the same request would mean different things
 * depending on where it ran. Parameters the route does not declare are left to its schema (which drops
 * them).
 */
export function singleValuedQuery(all: Record<string, string[]>, schema: z.ZodType): Record<string, string> {
  const declared = schema instanceof z.ZodObject ? new Set(Object.keys(schema.shape)) : undefined;
  const errors: FieldError[] = [];
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(all)) {
    if (values.length > 1 && (declared === undefined || declared.has(name)))
      errors.push({ path: `query.${name}`, message: `given ${values.length} times; give it once` });
    out[name] = values[0];
  }
  if (errors.length)
    throw new InvalidInputError(
      `Invalid query: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors,
    );
  return out;
}
