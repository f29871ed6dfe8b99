/** What the SDK reads of an answer; a fetch Response has all of it. */
export interface Answer {
  status: number;
  ok: boolean;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface Exchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Fails the exchange with a TimeoutError when no whole answer came within this many ms; 0: never. */
  timeoutMs?: number;
}

/** One HTTP exchange: resolves with any answer, rejects when none came. */
export type Transport = (x: Exchange) => Promise<Answer>;

export function fetchTransport(f: typeof fetch): Transport {
  return (x) => {
    const timeout = x.timeoutMs ? AbortSignal.timeout(x.timeoutMs) : undefined;
    return f(x.url, {
      method: x.method,
      headers: x.headers,
      // Bytes are a valid body; lib.dom's BodyInit only lacks Uint8Array<ArrayBufferLike> in its type.
      body: x.body as BodyInit | undefined,
      signal: x.signal && timeout ? AbortSignal.any([x.signal, timeout]) : (x.signal ?? timeout),
    });
  };
}

/** What a request needs of a URL, parsed once per distinct URL (a producer posts to one all day). */
export interface Target {
  secure: boolean;
  /** For connecting: an IPv6 literal without its brackets. */
  hostname: string;
  port: string;
  /** For the Host header: as in the URL. */
  host: string;
  path: string;
}

const MAX_TARGETS = 256;

export function targets(): (url: string) => Target {
  const known = new Map<string, Target>();
  return (url) => {
    let t = known.get(url);
    if (t) return t;
    const u = new URL(url);
    t = {
      secure: u.protocol === 'https:',
      hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
      port: u.port,
      host: u.host,
      path: `${u.pathname}${u.search}`,
    };
    // Reads with ever-new queries must not grow it without end.
    if (known.size >= MAX_TARGETS) known.clear();
    known.set(url, t);
    return t;
  };
}

export function timeoutError(ms: number): Error {
  // The name fetch's timeout carries: TributaryError.network reports it as a timeout.
  return new DOMException(`no answer within ${ms} ms`, 'TimeoutError');
}
