import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../client/index.js';
import { backoffMs, isRetryable } from '../../client/retry.js';
import { retryAfterSeconds } from '../../client/http.js';

const answer = (status: number, code?: string) => new TributaryError({ status, title: 't', code });

describe('isRetryable', () => {
  it('retries no answer, 408, 429, 502, 503, 504 and 409 in progress; nothing else', () => {
    for (const status of [0, 408, 429, 502, 503, 504])
      expect(isRetryable(answer(status)), `${status}`).toBe(true);
    expect(isRetryable(answer(409, 'idempotency_in_progress'))).toBe(true);
    for (const status of [400, 401, 403, 404, 413, 415, 422, 500])
      expect(isRetryable(answer(status)), `${status}`).toBe(false);
    expect(isRetryable(answer(409, 'idempotency_conflict'))).toBe(false);
    expect(isRetryable(answer(409, 'stream_deleted'))).toBe(false);
    expect(isRetryable(new Error('not from the API'))).toBe(false);
  });
});

describe('backoffMs', () => {
  it('is full jitter: uniform from 0 up to base·2^attempt, capped', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 5000 };
    expect(backoffMs(0, policy, undefined, () => 0)).toBe(0);
    expect(backoffMs(0, policy, undefined, () => 0.999)).toBe(99);
    expect(backoffMs(3, policy, undefined, () => 0.5)).toBe(400);
    expect(backoffMs(10, policy, undefined, () => 0.999)).toBe(4995);
    expect(backoffMs(1000, policy, undefined, () => 0.999)).toBe(4995);
  });

  it('never waits less than Retry-After asks', () => {
    expect(backoffMs(0, {}, 2, () => 0.5)).toBe(2000);
    expect(backoffMs(20, { maxDelayMs: 10_000 }, 2, () => 0.9)).toBe(9000);
  });
});

describe('retryAfterSeconds', () => {
  it('reads seconds and HTTP dates, and ignores anything else', () => {
    expect(retryAfterSeconds('3')).toBe(3);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5);
    expect(retryAfterSeconds('soon')).toBeUndefined();
    expect(retryAfterSeconds(null)).toBeUndefined();
  });
});
