/** Snowflake driver errors in the domain's words, the driver error kept as `cause`. */
import { DependencyUnavailableError, DomainError, InvalidInputError } from '../../domain/errors.js';

interface DriverError {
  name?: string;
  code?: string | number;
  sqlState?: string;
  message?: string;
}

/**
 * Statement errors Snowflake blames on the statement (SQL state class 42 compilation/access, 22 data,
 * 02 object missing) become InvalidInputError; a missing privilege, a suspended warehouse, the network,
 * an outage or a dynamic table not yet initialized become DependencyUnavailableError, which callers may retry.
 */
export function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const e = (err ?? {}) as DriverError;
  const state = typeof e.sqlState === 'string' ? e.sqlState : '';
  const code = e.code === undefined ? '' : String(e.code);
  const message = `Snowflake error ${code}${state ? ` (${state})` : ''}: ${e.message ?? 'unknown'}`;
  // A layer replaced with INITIALIZE = ON_SCHEDULE refuses reads until its first refresh: not the
  // caller's fault, and over within the target lag.
  if (/dynamic table .* is not initialized/i.test(e.message ?? ''))
    return new DependencyUnavailableError(message, 60, { cause: err });
  if (state && state !== '42501' && /^(42|22|02)/.test(state)) {
    const out = new InvalidInputError(message);
    // InvalidInputError's constructor takes no options; cause is the standard Error property.
    out.cause = err;
    return out;
  }
  return new DependencyUnavailableError(message, 5, { cause: err });
}
