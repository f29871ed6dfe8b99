import { TributaryError } from './errors.js';
import { http1Transport } from './http1.js';
import { fetchTransport, type Answer, type Transport } from './transport.js';
import type { FieldError } from './types.js';

export interface TributaryOptions {
  /** The API's base URL, e.g. http://localhost:8080. */
  url: string;
  /** An API key (`trb_…`); sent as `Authorization: Bearer`. */
  key?: string;
  /**
   * Send through this fetch (tests, proxies, instrumentation). Without it the SDK uses its own HTTP/1.1
   * client (client/http1.ts) with kept-alive connections, which costs far less CPU per request than
   * fetch or node:http.
   */
  fetch?: typeof fetch;
  userAgent?: string;
  /** Per request; 0 for none. Default 30 s. */
  requestTimeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  /** A string or bytes go as they are; anything else as JSON. */
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const USER_AGENT = 'tributary-sdk/0.1';

/** The HTTP plumbing shared by the control-plane calls and batch delivery. */
export class Http {
  readonly base: string;
  private readonly transport: Transport;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(o: TributaryOptions) {
    const url = new URL(o.url); // throws TypeError naming a malformed URL
    this.base = url.href.replace(/\/+$/, '');
    this.transport = o.fetch ? fetchTransport(o.fetch) : http1Transport();
    this.timeoutMs = o.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.headers = {
      'user-agent': o.userAgent ?? USER_AGENT,
      ...(o.key ? { authorization: `Bearer ${o.key}` } : {}),
    };
  }

  url(path: string, query?: Query): string {
    const joined = `${this.base}${path.startsWith('/') ? path : `/${path}`}`;
    // Batches carry no query: they skip the URL parse and re-serialization.
    if (query === undefined) return joined;
    const u = new URL(joined);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.href;
  }

  /** One exchange. Throws TributaryError with status 0 when no answer came; any answer is returned. */
  async send(
    method: string,
    path: string,
    o: {
      body?: string | Uint8Array;
      query?: Query;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<Answer> {
    try {
      return await this.transport({
        method,
        url: this.url(path, o.query),
        headers: { ...this.headers, ...o.headers },
        body: o.body,
        signal: o.signal,
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      // The caller's own abort stays an abort: it is not a failure of the API.
      if (o.signal?.aborted) throw o.signal.reason;
      throw TributaryError.network(err, `${method} ${path}`);
    }
  }

  /** A call whose 2xx answer is JSON (or empty); anything else throws TributaryError. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const json = o.body !== undefined && typeof o.body !== 'string' && !(o.body instanceof Uint8Array);
    const res = await this.send(method, path, {
      body: json ? JSON.stringify(o.body) : (o.body as string | Uint8Array | undefined),
      query: o.query,
      headers: {
        accept: 'application/json, application/problem+json',
        ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...o.headers,
      },
      signal: o.signal,
    });
    if (!res.ok) throw await errorFrom(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Retry-After is seconds or an HTTP date (RFC 9110); anything else is ignored. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

interface ProblemBody {
  type?: unknown;
  title?: unknown;
  detail?: unknown;
  code?: unknown;
  requestId?: unknown;
  errors?: unknown;
  limit?: unknown;
  limitValue?: unknown;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** A TributaryError from a non-2xx answer; reads (and so consumes) the body. */
export async function errorFrom(res: Answer): Promise<TributaryError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const p = (body && typeof body === 'object' ? body : {}) as ProblemBody;
  const errors = Array.isArray(p.errors)
    ? (p.errors as FieldError[]).filter((e) => typeof e?.path === 'string')
    : undefined;
  return new TributaryError({
    status: res.status,
    title: str(p.title) ?? (res.statusText || 'Error'),
    type: str(p.type),
    // A proxy's HTML or text answer is still worth showing, briefly.
    detail: str(p.detail) ?? (body === undefined && text ? text.slice(0, 200) : undefined),
    code: str(p.code),
    requestId: str(p.requestId) ?? res.headers.get('x-request-id') ?? undefined,
    errors: errors?.length ? errors : undefined,
    retryAfterSeconds: retryAfterSeconds(res.headers.get('retry-after')),
    limit: str(p.limit),
    limitValue: typeof p.limitValue === 'number' ? p.limitValue : undefined,
    body,
  });
}
