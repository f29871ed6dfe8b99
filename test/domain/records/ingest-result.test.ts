import { describe, expect, it } from 'vitest';
import {
  MAX_ERROR_TEXT,
  MAX_ERRORS_BYTES,
  MAX_RESULT_ERRORS,
  boundErrors,
} from '../../../api/domain/records/ingest-result.js';

const err = (i: number, path = `/r${i}`, message = 'must be string') => ({ index: i, path, message });

describe('boundErrors', () => {
  it('keeps a short error list as it is, without truncation fields', () => {
    const errors = [err(0), err(3)];
    expect(boundErrors(errors)).toEqual({ errors });
  });

  it('keeps the first 100 errors and reports the total', () => {
    const errors = Array.from({ length: 250 }, (_, i) => err(i));
    const out = boundErrors(errors);
    expect(out.errors).toEqual(errors.slice(0, MAX_RESULT_ERRORS));
    expect(out).toMatchObject({ errorsTruncated: true, errorsTotal: 250 });
  });

  it('cuts a long path without splitting a surrogate pair, and says so', () => {
    const path = `/${'a'.repeat(MAX_ERROR_TEXT - 3)}😀${'b'.repeat(5000)}`;
    const out = boundErrors([err(0, path)]);
    const cut = out.errors[0].path;
    expect(cut.length).toBeLessThanOrEqual(MAX_ERROR_TEXT);
    expect(cut.endsWith('…')).toBe(true);
    // Well-formed: it survives a strict UTF-8 round trip unchanged.
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
    expect(path.startsWith(cut.slice(0, -1))).toBe(true);
    expect(out).toMatchObject({ errorsTruncated: true, errorsTotal: 1 });
  });

  it('stays within its byte budget even when every character needs escaping', () => {
    const nasty = '\u0001'.repeat(10_000);
    const out = boundErrors(Array.from({ length: 500 }, (_, i) => err(i, nasty, nasty)));
    expect(Buffer.byteLength(JSON.stringify(out.errors))).toBeLessThanOrEqual(MAX_ERRORS_BYTES);
    expect(out.errors.length).toBeGreaterThan(0);
    expect(out.errors.length).toBeLessThan(MAX_RESULT_ERRORS);
    expect(out).toMatchObject({ errorsTruncated: true, errorsTotal: 500 });
  });
});
