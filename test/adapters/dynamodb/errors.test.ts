import { describe, expect, it } from 'vitest';
import { catalogFailure, isMisconfiguration } from '../../../api/adapters/dynamodb/errors.js';
import { DependencyUnavailableError, MisconfiguredError } from '../../../api/domain/errors.js';

const sdkError = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('catalogFailure', () => {
  it.each([
    ['ValidationException', 'The table does not have the specified index: gsi1'],
    ['ValidationException', 'The provided key element does not match the schema'],
    ['ValidationException', 'One or more parameter values were invalid: Missing the key pk in the item'],
    ['ValidationException', 'Query condition missed key schema element: gsi1pk'],
    ['ResourceNotFoundException', 'Requested resource not found'],
    ['AccessDeniedException', 'User is not authorized to perform: dynamodb:Query'],
    ['UnrecognizedClientException', 'The security token included in the request is invalid.'],
  ])('%s (%s) is a misconfiguration: 500, no retry', (name, message) => {
    const err = sdkError(name, message);
    expect(isMisconfiguration(err)).toBe(true);
    const mapped = catalogFailure(err);
    expect(mapped).toBeInstanceOf(MisconfiguredError);
    expect(mapped.cause).toBe(err);
    expect(mapped.message).toContain(name);
  });

  it.each([
    ['ProvisionedThroughputExceededException', 'The level of configured provisioned throughput was exceeded'],
    ['ThrottlingException', 'Rate of requests exceeds the allowed throughput.'],
    ['InternalServerError', 'Internal server error'],
    ['TimeoutError', 'socket hang up'],
    ['ValidationException', 'Item size has exceeded the maximum allowed size'],
    ['Error', 'connect ECONNREFUSED 127.0.0.1:8000'],
  ])('%s (%s) stays unavailable: 503 with Retry-After', (name, message) => {
    const err = sdkError(name, message);
    expect(isMisconfiguration(err)).toBe(false);
    const mapped = catalogFailure(err);
    expect(mapped).toBeInstanceOf(DependencyUnavailableError);
    expect((mapped as DependencyUnavailableError).retryAfterSeconds).toBe(1);
    expect(mapped.cause).toBe(err);
  });
});
