import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ResponseParser, type ParsedResponse } from './http1-parser.js';
import { targets, timeoutError, type Answer, type Exchange, type Transport } from './transport.js';

export interface Http1Options {
  /** Extra TLS options for https URLs (a private CA, say). */
  tls?: ConnectionOptions;
}

/** Idle kept-alive connections kept per origin; more are closed. */
const MAX_IDLE_PER_ORIGIN = 64;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** One kept-alive connection, carrying one exchange at a time. */
class Connection {
  private readonly parser: ResponseParser;
  /** Exchanges it has finished: a failure on a reused connection may be a stale keep-alive. */
  served = 0;
  private current?: {
    resolve: (r: ParsedResponse) => void;
    reject: (err: Error) => void;
    /** Any byte of the answer arrived. */
    answered: boolean;
  };
  dead = false;

  constructor(
    readonly socket: Socket,
    private readonly onIdle: (c: Connection) => void,
  ) {
    this.parser = new ResponseParser();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('end', () => this.ended());
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(closedError()));
  }

  /** Writes the request; resolves with the answer once it is whole. */
  exchange(method: string, head: string, body: Uint8Array | undefined): Promise<ParsedResponse> {
    this.socket.ref();
    this.parser.expect(method);
    return new Promise((resolve, reject) => {
      this.current = { resolve, reject, answered: false };
      this.socket.cork();
      this.socket.write(head, 'latin1');
      if (body && body.byteLength > 0) this.socket.write(body);
      this.socket.uncork();
    });
  }

  /**
   * The last exchange failed before any byte of its answer came, on a connection that had served
   * before: a server closing a kept-alive connection as it was reused, which never saw the request.
   */
  staleFailure = false;

  destroy(err?: Error): void {
    this.dead = true;
    this.socket.destroy(err);
  }

  private data(chunk: Buffer): void {
    const cur = this.current;
    if (!cur) {
      // Bytes nobody asked for: the connection is out of step; never reuse it.
      this.destroy();
      return;
    }
    cur.answered = true;
    let res: ParsedResponse | undefined;
    try {
      res = this.parser.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      this.destroy();
      return;
    }
    if (res) this.finish(res);
  }

  private ended(): void {
    const res = this.current ? this.parser.end() : undefined;
    if (res) this.finish(res);
    else this.fail(closedError());
    this.destroy();
  }

  private finish(res: ParsedResponse): void {
    const cur = this.current!;
    this.current = undefined;
    this.served++;
    if (res.keepAlive && !this.parser.hasLeftover) {
      this.socket.unref();
      this.onIdle(this);
    } else {
      this.destroy();
    }
    cur.resolve(res);
  }

  private fail(err: Error): void {
    this.dead = true;
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    const code = (err as NodeJS.ErrnoException).code;
    this.staleFailure = this.served > 0 && !cur.answered && (code === 'ECONNRESET' || code === 'EPIPE');
    cur.reject(err);
  }
}

function closedError(): Error {
  return Object.assign(new Error('the server closed the connection before answering'), {
    code: 'ECONNRESET',
  });
}

/**
 * An HTTP/1.1 client for the SDK, on node:net and node:tls: kept-alive connections per origin, one
 * exchange at a time on each. node:http spends about 120 µs of CPU on a request (ClientRequest, agent,
 * streams, header validation); this spends about a fifth of that, which a producer sending thousands of
 * batches a second from the same few cores as the API notices (BENCHMARKS.md, "SDK producer"). It
 * sends Content-Length bodies and reads Content-Length, chunked and close-delimited answers, skips 1xx
 * answers, and, as node:http's docs advise, sends once more on a fresh connection when a kept-alive one
 * fails before any byte of the answer (the server closed it as it was reused).
 */
export function http1Transport(o: Http1Options = {}): Transport {
  const idle = new Map<string, Connection[]>();
  const target = targets();

  const take = (origin: string): Connection | undefined => {
    const list = idle.get(origin);
    while (list && list.length > 0) {
      const c = list.pop()!;
      if (!c.dead) return c;
    }
    return undefined;
  };

  const open = (origin: string, secure: boolean, hostname: string, port: number): Connection => {
    const socket = secure
      ? tlsConnect({
          host: hostname,
          port,
          servername: isIP(hostname) ? undefined : hostname,
          ALPNProtocols: ['http/1.1'],
          ...o.tls,
        })
      : netConnect({ host: hostname, port });
    return new Connection(socket, (c) => {
      // A server closing an idle connection ends it: take() skips it, and a full list drops it.
      let list = idle.get(origin) ?? [];
      if (list.length >= MAX_IDLE_PER_ORIGIN) list = list.filter((k) => !k.dead);
      if (list.length >= MAX_IDLE_PER_ORIGIN) return c.destroy();
      list.push(c);
      idle.set(origin, list);
    });
  };

  const send = async (x: Exchange, retried: boolean): Promise<Answer> => {
    if (x.signal?.aborted) throw x.signal.reason;
    const t = target(x.url);
    const port = Number(t.port || (t.secure ? 443 : 80));
    const origin = `${t.secure ? 's' : ''}${t.hostname}:${port}`;
    const body = typeof x.body === 'string' ? Buffer.from(x.body, 'utf8') : x.body;
    const head = requestHead(x, t.host, t.path, body);
    const c = take(origin) ?? open(origin, t.secure, t.hostname, port);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => c.destroy(x.signal!.reason as Error);
    if (x.timeoutMs) timer = setTimeout(() => c.destroy(timeoutError(x.timeoutMs!)), x.timeoutMs);
    x.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return answerOf(await c.exchange(x.method, head, body));
    } catch (err) {
      if (x.signal?.aborted) throw x.signal.reason;
      if (!retried && c.staleFailure) return await send(x, true);
      throw err;
    } finally {
      clearTimeout(timer);
      x.signal?.removeEventListener('abort', onAbort);
    }
  };
  return (x) => send(x, false);
}

/** The request line and headers; refuses header names and values that would split the request. */
function requestHead(x: Exchange, host: string, path: string, body: Uint8Array | undefined): string {
  let head = `${x.method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const name in x.headers) {
    const value = x.headers[name];
    if (!TOKEN.test(name)) throw new TypeError(`invalid HTTP header name: ${JSON.stringify(name)}`);
    if (BAD_VALUE.test(value)) throw new TypeError(`invalid character in HTTP header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  if (body || WITH_BODY.has(x.method)) head += `content-length: ${body?.byteLength ?? 0}\r\n`;
  return `${head}\r\n`;
}

function answerOf(res: ParsedResponse): Answer {
  const { status, body } = res;
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: res.statusText,
    headers: { get: (name) => res.headers.get(name.toLowerCase()) ?? null },
    text: () => Promise.resolve(body.toString('utf8')),
    // The executor turns a parse error into a rejection, as fetch's json() does.
    json: () => new Promise<unknown>((resolve) => resolve(JSON.parse(body.toString('utf8')))),
  };
}
