import { TributaryError } from './errors.js';
import { errorFrom, type Http } from './http.js';
import { backoffMs, isRetryable, sleep, type RetryPolicy } from './retry.js';
import type { IngestResult } from './types.js';

/** One batch exactly as it goes on the wire: a retry or a replay from the spool sends these same bytes. */
export interface WireBatch {
  tenant: string;
  stream: string;
  idempotencyKey: string;
  body: Uint8Array;
  contentType: string;
  /** The body is gzip (sent with Content-Encoding: gzip). */
  gzip: boolean;
  /** All or nothing: one reject refuses the whole batch (`?atomic=true`). */
  atomic?: boolean;
}

export interface RetryInfo {
  idempotencyKey: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** Why the last attempt failed (status 0: no answer). */
  error: TributaryError;
}

export interface DeliverOptions {
  policy?: RetryPolicy;
  /** Aborts everything, the request in flight too; the abort reason is thrown. */
  signal?: AbortSignal;
  /** Cuts short only the wait before a retry; the last error is thrown. */
  waitSignal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  /** Asked after each failure that could be retried: true throws that error instead. */
  giveUp?: (error: TributaryError, attempt: number) => boolean;
}

/**
 * POSTs the batch until the API answers it: 200 (some or all accepted) and 422 (none accepted) are both
 * answers and resolve with the IngestResult. Retries what `isRetryable` allows, with full-jitter backoff
 * honouring Retry-After, always with the same Idempotency-Key and body, so a retry never stores twice.
 * Throws TributaryError for any other answer.
 */
export async function deliver(http: Http, batch: WireBatch, o: DeliverOptions = {}): Promise<IngestResult> {
  const path = `/v1/tenants/${encodeURIComponent(batch.tenant)}/streams/${encodeURIComponent(batch.stream)}/records`;
  const headers: Record<string, string> = {
    'content-type': batch.contentType,
    'idempotency-key': batch.idempotencyKey,
    accept: 'application/json, application/problem+json',
    ...(batch.gzip ? { 'content-encoding': 'gzip' } : {}),
  };
  for (let attempt = 0; ; attempt++) {
    let error: TributaryError;
    try {
      const res = await http.send('POST', path, {
        body: batch.body,
        headers,
        query: batch.atomic ? { atomic: 'true' } : undefined,
        signal: o.signal,
      });
      const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
      if (res.status === 200 || (res.status === 422 && json)) {
        // The connection can still die while the answer is read: then it was lost, and a retry asks again.
        const answer = await res.json().catch((err: unknown) => TributaryError.network(err, `POST ${path}`));
        if (!(answer instanceof TributaryError)) return answer as IngestResult;
        error = answer;
      } else {
        error = await errorFrom(res);
      }
    } catch (err) {
      if (!(err instanceof TributaryError)) throw err;
      error = err;
    }
    if (!isRetryable(error) || o.giveUp?.(error, attempt)) throw error;
    const delayMs = backoffMs(attempt, o.policy, error.retryAfterSeconds);
    o.onRetry?.({ idempotencyKey: batch.idempotencyKey, attempt: attempt + 1, delayMs, error });
    try {
      await sleep(delayMs, o.signal ? AbortSignal.any([o.signal, ...waits(o)]) : o.waitSignal);
    } catch (reason) {
      if (o.signal?.aborted) throw reason;
      throw error;
    }
  }
}

const waits = (o: DeliverOptions) => (o.waitSignal ? [o.waitSignal] : []);

/** The answer lists the first errors (100 at most), each naming its record's index in the batch. */
export function errorsByIndex(result: IngestResult): Map<number, { path: string; message: string }[]> {
  const byIndex = new Map<number, { path: string; message: string }[]>();
  for (const { index, path, message } of result.errors) {
    const list = byIndex.get(index) ?? [];
    list.push({ path, message });
    byIndex.set(index, list);
  }
  return byIndex;
}
