import {
  DependencyUnavailableError,
  DomainError,
  LoadDataError,
  ResourceExhaustedError,
} from '../../domain/errors.js';

export type FailureKind = 'data' | 'resource' | 'dependency';

/*
 * DuckDB reports every failure as a plain Error whose message starts with its exception type
 * ("Invalid Input Error: Malformed JSON in file …"). Data errors are recognised by name and anything
 * else is a dependency error: an unknown failure is retried, never mistaken for bad data and quarantined.
 */
const DATA = [
  /^Conversion Error\b/,
  /^Out of Range Error\b/,
  /^Mismatch Type Error\b/,
  /^Invalid Input Error: (Malformed JSON|JSON transform error)\b/,
  /^Invalid Input Error: .*\b(Failed to cast|Could not convert|invalid UTF-8|surrogate)/is,
];
const RESOURCE = [
  /^Out of Memory Error\b/,
  /could not allocate/i,
  /No space left on device/i,
  /Too many open files/i,
  /Disk quota exceeded/i,
];

/** What kind of failure a DuckDB error (or one of our own domain errors) is. */
export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof LoadDataError) return 'data';
  if (err instanceof ResourceExhaustedError) return 'resource';
  if (err instanceof DomainError) return 'dependency';
  const message = err instanceof Error ? err.message : String(err);
  if (RESOURCE.some((re) => re.test(message))) return 'resource';
  if (DATA.some((re) => re.test(message))) return 'data';
  return 'dependency';
}

/**
 * A DuckDB failure as a named domain error, keeping the cause: LoadDataError for bad data,
 * ResourceExhaustedError for memory or disk, DependencyUnavailableError for anything else
 * (IO errors, a locked, missing or corrupt database file, a database invalidated by a fatal error).
 */
export function translateFailure(what: string, err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const text = `DuckDB could not ${what}: ${message}`;
  switch (classifyFailure(err)) {
    case 'data':
      return new LoadDataError(text, { cause: err });
    case 'resource':
      return new ResourceExhaustedError(text, 5, { cause: err });
    default:
      return new DependencyUnavailableError(text, 1, { cause: err });
  }
}

/** Runs a DuckDB step; its failure becomes a named domain error (see translateFailure), keeping the cause. */
export async function translate<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translateFailure(what, err);
  }
}

/** A fatal error leaves the DuckDB instance unusable until it is reopened. */
export function invalidatesDatabase(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /^(FATAL|INTERNAL) Error\b|database has been invalidated|not a valid DuckDB database file/i.test(
    message,
  );
}
