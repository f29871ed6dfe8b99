import { describe, expect, it } from 'vitest';
import { ApiError, asApiError } from '../../web/src/api.js';

describe('asApiError', () => {
  it('passes an ApiError through unchanged', () => {
    const err = new ApiError({ status: 409, title: 'Conflict', detail: 'taken' });
    expect(asApiError(err)).toBe(err);
  });

  it('turns any other failure into a problem the views show, keeping its text', () => {
    const err = asApiError(new TypeError('x is undefined'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.problem).toEqual({ status: 0, title: 'Error', detail: 'TypeError: x is undefined' });
    expect(err.message).toBe('TypeError: x is undefined');
  });

  it('keeps a thrown non-Error value readable', () => {
    expect(asApiError('clipboard blocked').problem.detail).toBe('clipboard blocked');
  });
});
