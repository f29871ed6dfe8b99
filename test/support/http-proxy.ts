import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: pass it on, answer it itself, drop it, or hold it until released. */
export type ProxyVerdict =
  | { kind: 'pass' }
  | { kind: 'hold' }
  /** Close the connection without an answer, as an unreachable or crashed server would. */
  | { kind: 'drop' }
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string };

export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The body as it arrived (still gzipped when it was). */
  body: Buffer;
}

export interface TestProxy {
  url: string;
  /** Every request that reached the proxy, in arrival order. */
  requests: ProxiedRequest[];
  /** Requests held right now, and the sum of their body bytes. */
  held(): { count: number; bytes: number };
  /** Passes every held request on, and from now on decides with `next` (pass-through when omitted). */
  release(next?: (req: ProxiedRequest) => ProxyVerdict): void;
  /** Resolves once `condition` holds after a request arrives (or at once). */
  when(condition: () => boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * A small HTTP proxy in front of a real server, for fault injection the server cannot be asked for (a
 * storm of 429s, a stall). Bodies are buffered, so the test can see what the client sent.
 */
export async function startProxy(
  target: string,
  decide: (req: ProxiedRequest) => ProxyVerdict = () => ({ kind: 'pass' }),
): Promise<TestProxy> {
  let verdict = decide;
  const requests: ProxiedRequest[] = [];
  const holding: { req: ProxiedRequest; res: ServerResponse }[] = [];
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const w of [...watchers]) w();
  };

  const forward = (req: ProxiedRequest, res: ServerResponse) => {
    const url = new URL(req.path, target);
    const out = request(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(req.body);
  };

  const server: Server = createServer((incoming, res) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      const req: ProxiedRequest = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(req);
      const v = verdict(req);
      if (v.kind === 'pass') forward(req, res);
      else if (v.kind === 'hold') holding.push({ req, res });
      else if (v.kind === 'drop') res.socket?.destroy();
      else {
        res.writeHead(v.status, v.headers);
        res.end(v.body);
      }
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    held: () => ({
      count: holding.length,
      bytes: holding.reduce((n, h) => n + h.req.body.byteLength, 0),
    }),
    release(next) {
      verdict = next ?? (() => ({ kind: 'pass' }));
      for (const h of holding.splice(0)) forward(h.req, h.res);
      notify();
    },
    when(condition) {
      if (condition()) return Promise.resolve();
      return new Promise((resolve) => {
        const check = () => {
          if (!condition()) return;
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of holding.splice(0)) h.res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A 429 answer as the API writes it (problem+json with Retry-After), so the contract check accepts it. */
export function overloaded(retryAfterSeconds: number): ProxyVerdict {
  return {
    kind: 'answer',
    status: 429,
    headers: {
      'content-type': 'application/problem+json',
      'retry-after': String(retryAfterSeconds),
      'x-request-id': 'proxy',
    },
    body: JSON.stringify({
      type: 'https://tributary.dev/problems/overloaded',
      title: 'Too Many Requests',
      status: 429,
      detail: 'buffers are full; retry shortly (injected by the test proxy)',
      code: 'overloaded',
      requestId: 'proxy',
    }),
  };
}
