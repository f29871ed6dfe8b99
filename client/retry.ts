import { TributaryError } from './errors.js';

export interface RetryPolicy {
  /** The first retry waits up to this long; each further one doubles the ceiling. Default 100 ms. */
  baseDelayMs?: number;
  /** The ceiling stops doubling here. Default 20 s. */
  maxDelayMs?: number;
}

const BASE_MS = 100;
const MAX_MS = 20_000;

/**
 * Statuses after which sending the same batch again can succeed, and is safe because it carries its
 * Idempotency-Key: no answer at all, 408, 429 and 503 (the API says nothing was acknowledged), a gateway
 * in front of the API failing (502, 504), and 409 `idempotency_in_progress` (the first attempt is still
 * running). Every other 4xx would fail the same way again.
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof TributaryError)) return false;
  if (err.status === 409) return err.code === 'idempotency_in_progress';
  return [0, 408, 429, 502, 503, 504].includes(err.status);
}

/**
 * Full-jitter exponential backoff (uniform in [0, min(max, base·2^attempt)]), never shorter than the
 * Retry-After the API asked for. `attempt` counts from 0 for the first retry.
 */
export function backoffMs(
  attempt: number,
  policy: RetryPolicy = {},
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number {
  const base = policy.baseDelayMs ?? BASE_MS;
  const max = policy.maxDelayMs ?? MAX_MS;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  const jitter = Math.floor(random() * ceiling);
  return retryAfterSeconds === undefined ? jitter : Math.max(retryAfterSeconds * 1000, jitter);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
