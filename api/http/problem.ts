import {
  AlreadyExistsError,
  ConcurrentModificationError,
  DependencyUnavailableError,
  DomainError,
  ForbiddenError,
  IdempotencyConflictError,
  IdempotencyInProgressError,
  InvalidInputError,
  LocalModeOnlyError,
  MisconfiguredError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  RecordsRejectedError,
  RetryLaterError,
  SchemaIncompatibleError,
  StateConflictError,
  StreamGoneError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  WarehouseCheckError,
  type FieldError,
} from '../domain/errors.js';

/** RFC 9457 problem details, plus our code, requestId and per-field errors. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export interface ProblemResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  contentType: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

function statusOf(err: DomainError): number {
  if (err instanceof UnauthenticatedError) return 401;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof AlreadyExistsError) return 409;
  if (err instanceof ConcurrentModificationError) return 409;
  if (err instanceof SchemaIncompatibleError) return 409;
  if (err instanceof IdempotencyConflictError) return 409;
  if (err instanceof IdempotencyInProgressError) return 409;
  if (err instanceof StreamGoneError) return 409;
  if (err instanceof StateConflictError) return 409;
  if (err instanceof PayloadTooLargeError) return 413;
  if (err instanceof UnsupportedMediaTypeError) return 415;
  if (err instanceof RecordsRejectedError) return 422;
  if (err instanceof WarehouseCheckError) return 422;
  if (err instanceof OverloadedError) return 429;
  if (err instanceof DependencyUnavailableError) return 503;
  if (err instanceof InvalidInputError) return 400;
  if (err instanceof LocalModeOnlyError) return 501;
  // Named for the log and the operator; to the caller it is a 500 without Retry-After.
  if (err instanceof MisconfiguredError) return 500;
  return 500;
}

export function problem(
  status: number,
  code: string,
  detail: string,
  requestId: string,
  errors?: FieldError[],
): Problem {
  const title = TITLES[status] ?? 'Error';
  return {
    type: `https://tributary.dev/problems/${code.replace(/_/g, '-')}`,
    title,
    status,
    detail,
    code,
    requestId,
    ...(errors && errors.length ? { errors } : {}),
  };
}

/** The one place domain errors become HTTP. Unknown errors become an opaque 500 (logged by the caller). */
export function toProblemResponse(err: unknown, requestId: string): ProblemResponse {
  if (err instanceof RecordsRejectedError) {
    // The ingest contract answers a fully rejected batch with the same body shape as a success.
    return { status: 422, body: err.body, headers: {}, contentType: 'application/json' };
  }
  if (err instanceof DomainError) {
    const status = statusOf(err);
    const errors =
      err instanceof InvalidInputError || err instanceof SchemaIncompatibleError ? err.errors : undefined;
    const body: Problem = problem(status, err.code, err.message, requestId, errors);
    const headers: Record<string, string> = {};
    if (err instanceof RetryLaterError) headers['Retry-After'] = String(err.retryAfterSeconds);
    if (err instanceof PayloadTooLargeError) {
      body.limit = err.limit;
      body.limitValue = err.limitValue;
    }
    if (err instanceof UnauthenticatedError) headers['WWW-Authenticate'] = 'Bearer realm="tributary"';
    if (err instanceof WarehouseCheckError) body.step = err.step;
    return { status, body, headers, contentType: 'application/problem+json' };
  }
  return {
    status: 500,
    body: problem(
      500,
      'internal',
      'An unexpected error occurred. Quote the requestId when reporting it.',
      requestId,
    ),
    headers: {},
    contentType: 'application/problem+json',
  };
}
