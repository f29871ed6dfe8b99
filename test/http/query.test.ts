import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { singleValuedQuery } from '../../api/http/query.js';
import { InvalidInputError } from '../../api/domain/errors.js';

const schema = z.object({ limit: z.string().optional(), layer: z.string().optional() });

describe('singleValuedQuery', () => {
  it('keeps one value per parameter', () => {
    expect(singleValuedQuery({ limit: ['5'], layer: ['raw'] }, schema)).toEqual({ limit: '5', layer: 'raw' });
  });

  it('refuses every declared parameter given more than once, naming each', () => {
    let caught: unknown;
    try {
      singleValuedQuery({ limit: ['5', '6'], layer: ['raw', 'raw', 'entity'] }, schema);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).errors).toEqual([
      { path: 'query.limit', message: 'given 2 times; give it once' },
      { path: 'query.layer', message: 'given 3 times; give it once' },
    ]);
  });

  it('leaves repeats of parameters the route does not declare to its schema', () => {
    expect(singleValuedQuery({ utm: ['a', 'b'], limit: ['1'] }, schema)).toEqual({ utm: 'a', limit: '1' });
  });
});
