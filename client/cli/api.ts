import type { z } from 'zod';
import type { CreateKeyBody, CreateKeyResponse } from '../../api/routes/keys/create.js';
import type { ListKeysResponse } from '../../api/routes/keys/list.js';
import type { IngestResponse } from '../../api/routes/records/create.js';
import type { ListRecordsResponse } from '../../api/routes/records/list.js';
import type { ReceiptResponse } from '../../api/routes/records/receipt.js';
import type { ListRejectionsResponse } from '../../api/routes/records/rejections.js';
import type { CreateStreamBody } from '../../api/routes/streams/create.js';
import type { ListStreamsResponse } from '../../api/routes/streams/list.js';
import type { StreamSchema } from '../../api/routes/streams/schemas.js';
import type { DryRunResponse, UpdateStreamBody } from '../../api/routes/streams/update.js';

/*
 * What the CLI needs from the API: exactly the subset of the SDK's `Tributary` class (client/index.ts)
 * it uses, with the same method names and shapes (lists resolve to the array, as the SDK's do). The types come from the API's own route schemas, so
 * they cannot drift from what the server answers.
 */

export type Stream = z.infer<typeof StreamSchema>;
export type StreamSpec = Omit<CreateStreamBody, 'name'>;
export type { CreateKeyResponse, CreateStreamBody, DryRunResponse, ReceiptResponse, UpdateStreamBody };
export type IngestResult = IngestResponse;
export type Layer = 'raw' | 'deduped' | 'entity';
export type ReceiptState = ReceiptResponse['state'];
/** What `receipts.wait` can wait for (a batch is buffered once acknowledged). */
export type WaitState = Exclude<ReceiptState, 'buffered'>;
export type ApiKey = ListKeysResponse['keys'][number];

export interface SendBatchOptions {
  tenant: string;
  stream: string;
  body: string | Uint8Array;
  contentType?: string;
  idempotencyKey: string;
  gzip?: boolean;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; status?: number; delayMs: number; error?: unknown }) => void;
}

export interface CliApi {
  request<T>(
    method: string,
    path: string,
    o?: {
      body?: unknown;
      query?: Record<string, string | number | undefined>;
      headers?: Record<string, string>;
    },
  ): Promise<T>;
  streams: {
    list(tenant: string): Promise<Stream[]>;
    get(tenant: string, name: string): Promise<Stream>;
    create(tenant: string, spec: CreateStreamBody): Promise<Stream>;
    update(
      tenant: string,
      name: string,
      patch: UpdateStreamBody,
      o?: { dryRun?: boolean },
    ): Promise<Stream | DryRunResponse>;
    delete(tenant: string, name: string): Promise<void>;
  };
  keys: {
    create(tenant: string, body: CreateKeyBody): Promise<CreateKeyResponse>;
    list(tenant: string): Promise<ApiKey[]>;
    revoke(tenant: string, id: string): Promise<void>;
  };
  records: {
    list(tenant: string, stream: string, o?: { layer?: Layer; limit?: number }): Promise<ListRecordsResponse>;
  };
  rejections: {
    list(tenant: string, stream: string, o?: { limit?: number }): Promise<ListRejectionsResponse>;
  };
  receipts: {
    get(tenant: string, stream: string, batchId: string): Promise<ReceiptResponse>;
    wait(
      tenant: string,
      stream: string,
      batchId: string,
      o?: { state?: WaitState; timeoutMs?: number },
    ): Promise<ReceiptResponse>;
  };
  sendBatch(o: SendBatchOptions): Promise<IngestResult>;
}

/** A problem+json answer (or a transport failure, status 0), shaped as the SDK's TributaryError. */
export class TributaryError extends Error {
  status: number;
  type?: string;
  title: string;
  detail?: string;
  /** The API's stable code (invalid_input, idempotency_in_progress, …), as the SDK's error has it. */
  code?: string;
  errors?: { path: string; message: string }[];
  retryAfterSeconds?: number;

  constructor(o: {
    status: number;
    title: string;
    type?: string;
    detail?: string;
    code?: string;
    errors?: { path: string; message: string }[];
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    super(o.detail ?? o.title, { cause: o.cause });
    this.name = 'TributaryError';
    this.status = o.status;
    this.title = o.title;
    this.type = o.type;
    this.code = o.code;
    this.detail = o.detail;
    this.errors = o.errors;
    this.retryAfterSeconds = o.retryAfterSeconds;
  }
}

const RETRY_STATUSES = new Set([408, 429, 503]);
/** How long one batch keeps retrying (a server restart, an overload) before the push gives up. */
const RETRY_FOR_MS = 5 * 60_000;
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * STAND-IN, to be replaced by `new Tributary(...)` from client/index.ts when the SDK merges (the one
 * line in client/cli/context.ts). Deliberately minimal: sendBatch retries 408/429/503, network errors
 * and a 409 "in progress" honouring Retry-After, which is all that resuming a push needs.
 */
export class FetchApi implements CliApi {
  private readonly url: string;
  private readonly key?: string;
  private readonly fetch: typeof fetch;
  private readonly userAgent: string;

  constructor(o: { url: string; key?: string; fetch?: typeof fetch; userAgent?: string }) {
    this.url = o.url.replace(/\/+$/, '');
    this.key = o.key;
    this.fetch = o.fetch ?? globalThis.fetch;
    this.userAgent = o.userAgent ?? 'tributary-cli';
  }

  private async send(
    method: string,
    path: string,
    o: {
      body?: unknown;
      raw?: string | Uint8Array;
      query?: Record<string, string | number | undefined>;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...o.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let body: string | Uint8Array | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    const target = `${this.url}${path}${qs.size ? `?${qs}` : ''}`;
    try {
      return await this.fetch(target, {
        method,
        headers,
        body: body as BodyInit | undefined,
        signal: o.signal,
      });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      // undici wraps the socket error; with both IPv4 and IPv6 tried it is an AggregateError.
      const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } })
        .cause;
      const why = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err as Error).message;
      throw new TributaryError({
        status: 0,
        title: 'Network error',
        detail: `cannot reach ${this.url} (${why})`,
        cause: err,
      });
    }
  }

  private async fail(res: Response): Promise<never> {
    const text = await res.text();
    let problem: Partial<TributaryError> & { detail?: string } = {};
    try {
      problem = JSON.parse(text) as typeof problem;
    } catch {
      problem = { detail: text.slice(0, 200) || undefined };
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new TributaryError({
      status: res.status,
      title: problem.title ?? (res.statusText || `HTTP ${res.status}`),
      type: problem.type,
      code: problem.code,
      detail: problem.detail,
      errors: problem.errors,
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    });
  }

  async request<T>(
    method: string,
    path: string,
    o: {
      body?: unknown;
      query?: Record<string, string | number | undefined>;
      headers?: Record<string, string>;
    } = {},
  ): Promise<T> {
    const res = await this.send(method, path, o);
    if (!res.ok) return this.fail(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  private t(tenant: string, rest = ''): string {
    return `/v1/tenants/${encodeURIComponent(tenant)}${rest}`;
  }
  private s(tenant: string, stream: string, rest = ''): string {
    return this.t(tenant, `/streams/${encodeURIComponent(stream)}${rest}`);
  }

  streams = {
    list: async (tenant: string) =>
      (await this.request<ListStreamsResponse>('GET', this.t(tenant, '/streams'))).streams,
    get: (tenant: string, name: string) => this.request<Stream>('GET', this.s(tenant, name)),
    create: (tenant: string, spec: CreateStreamBody) =>
      this.request<Stream>('POST', this.t(tenant, '/streams'), { body: spec }),
    update: (tenant: string, name: string, patch: UpdateStreamBody, o: { dryRun?: boolean } = {}) =>
      this.request<Stream | DryRunResponse>('PATCH', this.s(tenant, name), {
        body: patch,
        query: { dryRun: o.dryRun ? 'true' : undefined },
      }),
    delete: (tenant: string, name: string) => this.request<void>('DELETE', this.s(tenant, name)),
  };

  keys = {
    create: (tenant: string, body: CreateKeyBody) =>
      this.request<CreateKeyResponse>('POST', this.t(tenant, '/keys'), { body }),
    list: async (tenant: string) =>
      (await this.request<ListKeysResponse>('GET', this.t(tenant, '/keys'))).keys,
    revoke: (tenant: string, id: string) =>
      this.request<void>('DELETE', this.t(tenant, `/keys/${encodeURIComponent(id)}`)),
  };

  records = {
    list: (tenant: string, stream: string, o: { layer?: Layer; limit?: number } = {}) =>
      this.request<ListRecordsResponse>('GET', this.s(tenant, stream, '/records'), { query: o }),
  };

  rejections = {
    list: (tenant: string, stream: string, o: { limit?: number } = {}) =>
      this.request<ListRejectionsResponse>('GET', this.s(tenant, stream, '/rejections'), { query: o }),
  };

  receipts = {
    get: (tenant: string, stream: string, batchId: string) =>
      this.request<ReceiptResponse>('GET', this.s(tenant, stream, `/batches/${encodeURIComponent(batchId)}`)),
    wait: async (
      tenant: string,
      stream: string,
      batchId: string,
      o: { state?: WaitState; timeoutMs?: number } = {},
    ): Promise<ReceiptResponse> => {
      const order: ReceiptState[] = ['buffered', 'delivered', 'loaded'];
      const want = order.indexOf(o.state ?? 'loaded');
      const deadline = Date.now() + (o.timeoutMs ?? 60_000);
      for (;;) {
        const r = await this.receipts.get(tenant, stream, batchId);
        if (order.indexOf(r.state) >= want) return r;
        if (Date.now() >= deadline) {
          throw new TributaryError({
            status: 0,
            title: 'Timeout',
            detail: `batch ${batchId} is still ${r.state} after ${o.timeoutMs ?? 60_000} ms`,
          });
        }
        await sleep(250);
      }
    },
  };

  async sendBatch(o: SendBatchOptions): Promise<IngestResult> {
    const path = this.s(o.tenant, o.stream, '/records');
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let delayMs: number;
      let status: number | undefined;
      let error: unknown;
      try {
        const res = await this.send('POST', path, {
          raw: o.body,
          headers: {
            'content-type': o.contentType ?? 'application/x-ndjson',
            'idempotency-key': o.idempotencyKey,
          },
          signal: o.signal,
        });
        // 422 carries the same body as 200: every record of the batch was rejected.
        if (res.status === 200 || res.status === 422) return (await res.json()) as IngestResult;
        await this.fail(res);
        throw new Error('unreachable');
      } catch (err) {
        if (!(err instanceof TributaryError) || !retryable(err)) throw err;
        status = err.status || undefined;
        error = err;
        const backoff = Math.min(5000, 100 * 2 ** Math.min(attempt, 6)) * Math.random();
        delayMs = err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : backoff;
        if (Date.now() + delayMs - started > RETRY_FOR_MS) throw err;
      }
      o.onRetry?.({ attempt, status, delayMs, error });
      await sleep(delayMs, o.signal);
      if (o.signal?.aborted) throw o.signal.reason;
    }
  }
}

function retryable(err: TributaryError): boolean {
  if (err.status === 0 || RETRY_STATUSES.has(err.status)) return true;
  return err.status === 409 && err.code === 'idempotency_in_progress';
}
