import { DependencyUnavailableError } from '../../domain/errors.js';

export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Anything DynamoDB throws that we don't handle by name means the catalog is unavailable. */
export function catalogUnavailable(err: unknown): DependencyUnavailableError {
  const name = (err as { name?: string })?.name ?? 'Error';
  return new DependencyUnavailableError(`The catalog (DynamoDB) is unavailable: ${name}.`, 1, { cause: err });
}
