import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

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

/** What node:http needs of a URL, parsed once per distinct URL (a producer posts to one all day). */
interface Target {
  secure: boolean;
  hostname: string;
  port: string;
  path: string;
}

const MAX_TARGETS = 256;

function targets(): (url: string) => Target {
  const known = new Map<string, Target>();
  return (url) => {
    let t = known.get(url);
    if (t) return t;
    const u = new URL(url);
    t = {
      secure: u.protocol === 'https:',
      // node:http wants an IPv6 literal without its brackets.
      hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
      port: u.port,
      path: `${u.pathname}${u.search}`,
    };
    // Reads with ever-new queries must not grow it without end.
    if (known.size >= MAX_TARGETS) known.clear();
    known.set(url, t);
    return t;
  };
}

function timeoutError(ms: number): Error {
  // The name fetch's timeout carries: TributaryError.network reports it as a timeout.
  return new DOMException(`no answer within ${ms} ms`, 'TimeoutError');
}

/**
 * node:http(s) with keep-alive connections: a fifth of the CPU fetch spends on a request (fetch builds
 * web streams, signals and transferables for each), which matters at thousands of batches a second.
 * Idle kept-alive sockets are unref'd by the agent, so they never keep a process alive.
 */
export function nodeTransport(): Transport {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  const target = targets();
  const send = (x: Exchange, retried: boolean): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const t = target(x.url);
      const body = typeof x.body === 'string' ? Buffer.from(x.body, 'utf8') : x.body;
      // One timer, not an AbortSignal.timeout per request: that costs a signal, its listeners and a
      // weak reference for each of thousands of batches a second.
      let timer: NodeJS.Timeout | undefined;
      const settle = () => clearTimeout(timer);
      const req = (t.secure ? httpsRequest : httpRequest)(
        {
          hostname: t.hostname,
          port: t.port,
          path: t.path,
          method: x.method,
          headers: body ? { ...x.headers, 'content-length': String(body.byteLength) } : x.headers,
          agent: t.secure ? agents.https : agents.http,
          signal: x.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            settle();
            resolve(answerOf(res, Buffer.concat(chunks)));
          });
          res.on('error', (err) => {
            settle();
            reject(err);
          });
        },
      );
      if (x.timeoutMs) timer = setTimeout(() => req.destroy(timeoutError(x.timeoutMs!)), x.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        settle();
        // A kept-alive connection the server closed just as it was reused: the request never reached
        // the server, so sending it once more on a fresh connection is what Node's docs advise.
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(send(x, true));
        else reject(err);
      });
      req.end(body);
    });
  return (x) => send(x, false);
}

function answerOf(res: IncomingMessage, body: Buffer): Answer {
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: res.statusMessage ?? '',
    headers: {
      get: (name) => {
        const v = res.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    text: () => Promise.resolve(body.toString('utf8')),
    // The executor turns a parse error into a rejection, as fetch's json() does.
    json: () => new Promise<unknown>((resolve) => resolve(JSON.parse(body.toString('utf8')))),
  };
}
