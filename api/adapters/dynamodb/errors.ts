import { DependencyUnavailableError, MisconfiguredError } from '../../domain/errors.js';

export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** The table is missing, or the credentials may not use it: no retry changes that. */
const MISCONFIGURED_NAMES = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
]);

/**
 * DynamoDB's ValidationException for a table whose keys or indexes are not the ones the code uses
 * ("The table does not have the specified index: gsi1", "The provided key element does not match the
 * schema", "Missing the key pk in the item", "Query condition missed key schema element").
 */
const SCHEMA_MISMATCH = /specified index|key element does not match|Missing the key|missed key schema/i;

/** A failure that is the deployment's, not the moment's: the table does not match table-definition.ts. */
export function isMisconfiguration(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | undefined;
  if (!e?.name) return false;
  if (MISCONFIGURED_NAMES.has(e.name)) return true;
  return e.name === 'ValidationException' && SCHEMA_MISMATCH.test(e.message ?? '');
}

/**
 * What a DynamoDB failure means to the domain. A table that is missing, keyed differently, lacks an
 * index, or may not be used is MisconfiguredError (500: retrying cannot help, an operator must act);
 * anything else (throttling, 5xx, timeouts, dropped connections) is DependencyUnavailableError (503
 * with Retry-After). Both keep the SDK error as `cause` for the log.
 */
export function catalogFailure(err: unknown): DependencyUnavailableError | MisconfiguredError {
  const name = (err as { name?: string })?.name ?? 'Error';
  if (isMisconfiguration(err)) {
    return new MisconfiguredError(
      `The catalog (DynamoDB) table is not set up as this version expects (${name}); an operator must fix the deployment.`,
      { cause: err },
    );
  }
  return new DependencyUnavailableError(`The catalog (DynamoDB) is unavailable: ${name}.`, 1, { cause: err });
}
