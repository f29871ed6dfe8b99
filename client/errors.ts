import type { FieldError } from './types.js';

/** What the API says went wrong (problem+json, RFC 9457), or why no answer came (status 0). */
export interface ProblemFields {
  status: number;
  title: string;
  type?: string;
  detail?: string;
  /** The API's stable code (invalid_input, overloaded, idempotency_in_progress, …); network_error or timeout when no answer came. */
  code?: string;
  requestId?: string;
  errors?: FieldError[];
  /** From the Retry-After header (429, 503, 409 in progress). */
  retryAfterSeconds?: number;
  /** 413: the limit that was exceeded (maxBodyBytes, maxRecords, …) and its value. */
  limit?: string;
  limitValue?: number;
  /** The parsed answer body, when it was JSON. */
  body?: unknown;
}

/**
 * An API answer that is not a success, built from its problem+json body; status 0 when no answer came
 * (connection refused or reset, DNS, a request timeout), with the underlying error as `cause`.
 */
export class TributaryError extends Error {
  readonly status: number;
  readonly type?: string;
  readonly title: string;
  readonly detail?: string;
  readonly code?: string;
  readonly requestId?: string;
  readonly errors?: FieldError[];
  readonly retryAfterSeconds?: number;
  readonly limit?: string;
  readonly limitValue?: number;
  readonly body?: unknown;

  constructor(fields: ProblemFields, options?: { cause?: unknown }) {
    super(messageOf(fields), options);
    this.name = 'TributaryError';
    this.status = fields.status;
    this.type = fields.type;
    this.title = fields.title;
    this.detail = fields.detail;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.errors = fields.errors;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.limit = fields.limit;
    this.limitValue = fields.limitValue;
    this.body = fields.body;
  }

  /** No answer came: the request may or may not have reached the API. */
  static network(cause: unknown, what: string): TributaryError {
    // fetch rejects with the timeout signal's reason; the SDK's own client with a TimeoutError.
    const inner = (cause as { cause?: unknown } | undefined)?.cause;
    const timedOut = [cause, inner].some((e) => e instanceof Error && e.name === 'TimeoutError');
    const reason = describeCause(cause);
    return new TributaryError(
      {
        status: 0,
        title: timedOut ? 'Timeout' : 'Network error',
        code: timedOut ? 'timeout' : 'network_error',
        detail: `${what}: ${reason}`,
      },
      { cause },
    );
  }
}

/** `title (status): detail [path: message; …]`: one line a person can act on. */
function messageOf(f: ProblemFields): string {
  const head = f.status ? `${f.title} (${f.status})` : f.title;
  const fields = f.errors?.length ? ` [${f.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}]` : '';
  return `${head}${f.detail ? `: ${f.detail}` : ''}${fields}`;
}

/** The system error's code (ECONNREFUSED, ECONNRESET, …): node:net sets it, fetch hides it in `cause`. */
function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner = (err as { cause?: unknown }).cause;
  const code = (err as { code?: unknown }).code ?? (inner as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return `${code} (${err.message})`;
  if (inner instanceof Error) return `${err.message}: ${inner.message}`;
  return err.message;
}

/** The spool cannot take a batch: it would pass `maxSpoolBytes`. */
export class SpoolFullError extends Error {
  constructor(
    readonly dir: string,
    readonly limitBytes: number,
    readonly usedBytes: number,
    readonly neededBytes: number,
  ) {
    super(
      `The spool in ${dir} is full: it holds ${usedBytes} bytes and a batch of ${neededBytes} bytes would pass ` +
        `maxSpoolBytes (${limitBytes}). Records stay in memory and are retried; send() refuses new ones until ` +
        'the API takes the spooled batches (or raise maxSpoolBytes).',
    );
    this.name = 'SpoolFullError';
  }
}

/** One record larger than a batch or the queue may hold: it could never be sent. */
export class RecordTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: 'maxBatchBytes' | 'maxQueueBytes',
    readonly limitValue: number,
  ) {
    super(`A record of ${bytes} bytes (as NDJSON) exceeds ${limit} (${limitValue} bytes).`);
    this.name = 'RecordTooLargeError';
  }
}
