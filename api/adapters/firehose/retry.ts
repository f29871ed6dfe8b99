/** Which Firehose failures are worth another try, and how long to wait before it. */

export interface Backoff {
  /** First delay cap; doubles each attempt. */
  baseMs: number;
  /** Upper bound of any single delay. */
  capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 50, capMs: 1_000 };

/** "Full jitter": uniformly anywhere between zero and the exponential cap. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number): number {
  return random() * Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
}

const RETRYABLE_NAMES = new Set([
  'ServiceUnavailableException',
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
  'TooManyRequestsException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Throttling, 5xx, timeouts and dropped connections may pass on a later try; anything else
 * (validation, a missing stream, denied access, bad credentials) will fail the same way again.
 */
export function isRetryable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as SdkLikeError;
  if (typeof e.name === 'string' && RETRYABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
