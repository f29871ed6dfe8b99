import type { WarehouseCheckStep } from './tenants/warehouse-binding.js';

/**
 * Domain errors. They describe what went wrong in the domain's words and know nothing of HTTP;
 * api/http/problem.ts is the one place that maps them to a status and a problem body.
 */
export interface FieldError {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No credentials, or credentials that match no live key. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'unauthenticated';
}

/** A valid principal without the right to do this. */
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}

/** Missing, or belonging to another tenant (never reveal which). */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}

export class AlreadyExistsError extends DomainError {
  readonly code = 'already_exists';
}

/** Optimistic concurrency: someone else changed the item first. */
export class ConcurrentModificationError extends DomainError {
  readonly code = 'concurrent_modification';
}

/** Input that breaks a rule; `errors` names each field. */
export class InvalidInputError extends DomainError {
  readonly code: string;
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
    code = 'invalid_input',
  ) {
    super(message);
    this.code = code;
  }
}

/** A batch whose records all failed validation (or an atomic batch with any failure). */
export class RecordsRejectedError extends DomainError {
  readonly code = 'records_rejected';
  constructor(
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export class SchemaIncompatibleError extends DomainError {
  readonly code = 'schema_incompatible';
  constructor(
    message: string,
    readonly errors: FieldError[],
  ) {
    super(message);
  }
}

/** The Idempotency-Key was already used with a different request body. */
export class IdempotencyConflictError extends DomainError {
  readonly code = 'idempotency_conflict';
}

/** The request may succeed if sent again after `retryAfterSeconds`; nothing of it was acknowledged. */
export abstract class RetryLaterError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Another request with the same Idempotency-Key is still being processed: retry after a moment. */
export class IdempotencyInProgressError extends RetryLaterError {
  readonly code = 'idempotency_in_progress';
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'payload_too_large';
  constructor(
    readonly limit: string,
    readonly limitValue: number,
    message: string,
  ) {
    super(message);
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'unsupported_media_type';
}

/** Buffers are full: the caller should back off and retry. */
export class OverloadedError extends RetryLaterError {
  readonly code = 'overloaded';
}

/** A dependency (Firehose, Snowflake, DynamoDB, disk) could not do its part; nothing was acknowledged. */
export class DependencyUnavailableError extends RetryLaterError {
  readonly code = 'dependency_unavailable';
}

/**
 * A dependency is set up wrong (a missing table or index, a key schema that differs, denied access): the
 * same request fails the same way until an operator fixes the deployment, so unlike
 * DependencyUnavailableError it tells nobody to retry.
 */
export class MisconfiguredError extends DomainError {
  readonly code = 'misconfigured';
}

/** This deployment does not offer the operation (e.g. the Prometheus exposition in AWS mode). */
export class LocalModeOnlyError extends DomainError {
  readonly code = 'local_mode_only';
}

/** The stream was deleted: its data is kept but it takes no more records. */
export class StreamGoneError extends DomainError {
  readonly code = 'stream_deleted';
}

/**
 * The warehouse refused the data itself (malformed JSON, a value that does not cast, a line that holds
 * no record). Retrying cannot help: the loader sets the offending lines aside and loads the rest.
 */
export class LoadDataError extends DomainError {
  readonly code = 'load_data_error';
}

/**
 * The request conflicts with the state of the system (409): what it asks is not possible here, or not
 * now. `code` says which rule it met, e.g. tenant_has_streams.
 */
export class StateConflictError extends DomainError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A tenant's own warehouse connection failed its check; `step` names where (422). */
export class WarehouseCheckError extends DomainError {
  readonly code = 'warehouse_check_failed';
  constructor(
    readonly step: WarehouseCheckStep,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A secret named by reference that cannot be used: it does not exist, this service may not read it, or
 * it holds no usable value. Retrying cannot help; whoever named it has to fix the reference or the secret.
 */
export class SecretUnusableError extends DomainError {
  readonly code = 'secret_unusable';
}

/**
 * The warehouse ran out of memory or another resource. A dependency error (retry, never quarantine),
 * which a smaller load may avoid.
 */
export class ResourceExhaustedError extends DependencyUnavailableError {}
