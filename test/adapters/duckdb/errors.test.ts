import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  invalidatesDatabase,
  translateFailure,
} from '../../../api/adapters/duckdb/errors.js';
import {
  DependencyUnavailableError,
  InvalidInputError,
  LoadDataError,
  ResourceExhaustedError,
} from '../../../api/domain/errors.js';

describe('classifyFailure', () => {
  // Messages as DuckDB words them (taken from real failures).
  it.each([
    [
      'Invalid Input Error: Malformed JSON in file "/l/a.ndjson", at byte 35 in line 2: no low surrogate in string. ',
      'data',
    ],
    [
      'Invalid Input Error: Malformed JSON in file "/l/a.ndjson", at byte 24 in line 2: invalid UTF-8 encoding in string. ',
      'data',
    ],
    [
      'Invalid Input Error: JSON transform error in file "/l/a.ndjson", in line 1: Failed to cast value to numerical: "x"',
      'data',
    ],
    [
      'Invalid Input Error: JSON transform error in file "/l/a.ndjson", in line 1: Expected OBJECT, but got ARRAY: [1,2]',
      'data',
    ],
    ["Conversion Error: Could not convert string 'x' to INT64", 'data'],
    ['Out of Range Error: Overflow in multiplication of INT32', 'data'],
    ['Out of Memory Error: could not allocate block of size 256.0 KiB (60.9 MiB/61.0 MiB used)', 'resource'],
    ['IO Error: Could not write file "/w/acme.duckdb": No space left on device', 'resource'],
    ['IO Error: Cannot open file "/w/acme.duckdb": Too many open files', 'resource'],
    ['IO Error: No files found that match the pattern "/l/gone.ndjson"', 'dependency'],
    ['IO Error: The file "/w/acme.duckdb" exists, but it is not a valid DuckDB database file!', 'dependency'],
    ['IO Error: Could not set lock on file "/w/acme.duckdb": Conflicting lock is held', 'dependency'],
    ['FATAL Error: Failed: database has been invalidated because of a previous fatal error.', 'dependency'],
    ['Catalog Error: Table with name x does not exist!', 'dependency'],
    ['something nobody has seen before', 'dependency'],
  ])('%s → %s', (message, kind) => {
    expect(classifyFailure(new Error(message))).toBe(kind);
  });

  it('keeps domain errors as they are named', () => {
    expect(classifyFailure(new LoadDataError('rows differ'))).toBe('data');
    expect(classifyFailure(new ResourceExhaustedError('oom'))).toBe('resource');
    expect(classifyFailure(new DependencyUnavailableError('down'))).toBe('dependency');
    expect(classifyFailure(new InvalidInputError('bad path'))).toBe('dependency');
  });
});

describe('translateFailure', () => {
  it('names each kind and keeps the cause', () => {
    const data = new Error('Invalid Input Error: Malformed JSON in file "x": no low surrogate in string.');
    const oom = new Error('Out of Memory Error: could not allocate block of size 256.0 KiB');
    const io = new Error('IO Error: No files found that match the pattern "x"');
    const d = translateFailure('load k', data);
    const r = translateFailure('load k', oom);
    const p = translateFailure('load k', io);
    expect(d).toBeInstanceOf(LoadDataError);
    expect(r).toBeInstanceOf(ResourceExhaustedError);
    expect(r).toBeInstanceOf(DependencyUnavailableError);
    expect(p).toBeInstanceOf(DependencyUnavailableError);
    expect(p).not.toBeInstanceOf(ResourceExhaustedError);
    for (const [e, cause] of [
      [d, data],
      [r, oom],
      [p, io],
    ] as const) {
      expect(e.cause).toBe(cause);
      expect(e.message).toContain('DuckDB could not load k: ');
    }
    const own = new LoadDataError('mine');
    expect(translateFailure('x', own)).toBe(own);
  });

  it('tells which errors leave the database unusable', () => {
    expect(invalidatesDatabase(new Error('FATAL Error: database has been invalidated'))).toBe(true);
    expect(invalidatesDatabase(new Error('INTERNAL Error: Attempted to access index 3'))).toBe(true);
    expect(invalidatesDatabase(new Error('Invalid Input Error: Malformed JSON'))).toBe(false);
  });
});
