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
}

/** One HTTP exchange: resolves with any answer, rejects when none came. */
export type Transport = (x: Exchange) => Promise<Answer>;

export function fetchTransport(f: typeof fetch): Transport {
  return (x) =>
    f(x.url, {
      method: x.method,
      headers: x.headers,
      // Bytes are a valid body; lib.dom's BodyInit only lacks Uint8Array<ArrayBufferLike> in its type.
      body: x.body as BodyInit | undefined,
      signal: x.signal,
    });
}

/**
 * node:http(s) with keep-alive connections: a fifth of the CPU fetch spends on a request (fetch builds
 * web streams, signals and transferables for each), which matters at thousands of batches a second.
 * Idle kept-alive sockets are unref'd by the agent, so they never keep a process alive.
 */
export function nodeTransport(): Transport {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  const send = (x: Exchange, retried: boolean): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const url = new URL(x.url);
      const secure = url.protocol === 'https:';
      const body = typeof x.body === 'string' ? Buffer.from(x.body, 'utf8') : x.body;
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: x.method,
          headers: body ? { ...x.headers, 'content-length': String(body.byteLength) } : x.headers,
          agent: secure ? agents.https : agents.http,
          signal: x.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(answerOf(res, Buffer.concat(chunks))));
          res.on('error', reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
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
