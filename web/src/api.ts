import type { Problem } from './types.js';

/** A failed API call, carrying the problem document the server answered with. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.status = problem.status;
    this.problem = problem;
  }
}

/**
 * Any failure as an ApiError, so a view shows it with the others: a bug or a browser refusal that is
 * not an API answer must still reach the user instead of vanishing in a catch.
 */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError({ status: 0, title: 'Error', detail: String(e) });
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  del(path: string): Promise<void>;
}

/** Same-origin client for `/v1/...`; the key travels only in the Authorization header. */
export function createApi(key: string, onUnauthorized: () => void = () => {}): Api {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (cause) {
      throw new ApiError({
        status: 0,
        title: 'Network error',
        detail: `Could not reach the API (${String(cause)}).`,
      });
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      if (res.status === 401) onUnauthorized();
      const problem: Problem =
        json && typeof json === 'object'
          ? { ...(json as Problem), status: res.status }
          : {
              status: res.status,
              title: res.statusText || `HTTP ${res.status}`,
              detail: text.slice(0, 200) || undefined,
            };
      throw new ApiError(problem);
    }
    return json as T;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    patch: (path, body) => call('PATCH', path, body),
    del: (path) => call<void>('DELETE', path),
  };
}

/** Builds `/v1/tenants/{t}/...` paths with every segment escaped. */
export function tenantPath(tenant: string, ...segments: string[]): string {
  return ['/v1/tenants', tenant, ...segments].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}
