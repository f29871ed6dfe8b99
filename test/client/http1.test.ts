import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { http1Transport } from '../../client/http1.js';
import type { Exchange } from '../../client/transport.js';

/** A self-signed certificate for localhost and 127.0.0.1, made for these tests only (valid to 2126). */
const TLS_DIR = new URL('../fixtures/tls/', import.meta.url);
const CERT = readFileSync(new URL('localhost.crt', TLS_DIR));
const KEY = readFileSync(new URL('localhost.key', TLS_DIR));

const servers: Array<Server | HttpServer> = [];
const accepted = new Set<Socket>();
afterEach(async () => {
  for (const socket of accepted) socket.destroy();
  accepted.clear();
  for (const s of servers.splice(0)) {
    (s as HttpServer).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

async function listen<T extends Server | HttpServer>(server: T): Promise<{ server: T; url: string }> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A server speaking raw bytes: `answer` gets each request's head and writes what it likes. */
async function raw(answer: (socket: Socket, head: string, index: number) => void) {
  let requests = 0;
  let connections = 0;
  const { server, url } = await listen(
    createNetServer((socket) => {
      connections++;
      accepted.add(socket);
      let buf = '';
      socket.on('data', (d) => {
        buf += d.toString('latin1');
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.slice(0, end);
          const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < end + 4 + len) return;
          buf = buf.slice(end + 4 + len);
          answer(socket, head, requests++);
        }
      });
      socket.on('error', () => undefined);
    }),
  );
  return { server, url, requests: () => requests, connections: () => connections };
}

const post = (url: string, body: string, over: Partial<Exchange> = {}): Exchange => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
  body,
  ...over,
});

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });

describe('http1Transport', () => {
  it('sends method, path, Host, headers and body; reads status, headers and JSON; reuses the connection', async () => {
    const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> =
      [];
    const sockets = new Set<unknown>();
    const { url } = await listen(
      createHttpServer((req, res) => {
        sockets.add(req.socket);
        void readBody(req).then((body) => {
          seen.push({ method: req.method, url: req.url, headers: req.headers, body });
          res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-multi': ['a', 'b'] });
          res.end(JSON.stringify({ got: seen.length }));
        });
      }),
    );
    const send = http1Transport();
    const body = JSON.stringify([{ id: 'é', n: 1 }]);
    for (const n of [1, 2, 3]) {
      const a = await send(post(`${url}/v1/x?q=1`, body));
      expect(a.status).toBe(201);
      expect(a.ok).toBe(true);
      expect(a.statusText).toBe('Made');
      expect(a.headers.get('Content-Type')).toBe('application/json');
      expect(a.headers.get('x-multi')).toBe('a, b');
      expect(a.headers.get('x-none')).toBeNull();
      expect(await a.json()).toEqual({ got: n });
    }
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/x?q=1',
      body,
      headers: {
        host: url.slice('http://'.length),
        'content-type': 'application/json',
        authorization: 'Bearer k',
        'content-length': String(Buffer.byteLength(body)),
      },
    });
    expect(sockets.size).toBe(1);
    // A GET carries no body and no Content-Length.
    const got = await send({ method: 'GET', url: `${url}/r`, headers: {} });
    expect(got.status).toBe(201);
    expect(seen[3]).toMatchObject({ method: 'GET', body: '' });
    expect(seen[3].headers['content-length']).toBeUndefined();
  });

  it('reads chunked answers cut anywhere, with extensions and trailers, then keeps the connection', async () => {
    const s = await raw((socket, _head, i) => {
      const wire =
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n' +
        `4;ext=1\r\n{"a"\r\n${(5 + String(i).length).toString(16)}\r\n:"x${i}"}\r\n0\r\nX-Trailer: t\r\n\r\n`;
      // One byte per write: every boundary inside the answer is exercised.
      let at = 0;
      const drip = () => {
        if (at >= wire.length) return;
        socket.write(wire[at++], 'latin1');
        setImmediate(drip);
      };
      drip();
    });
    const send = http1Transport();
    for (const i of [0, 1]) expect(await (await send(post(s.url, '{}'))).json()).toEqual({ a: `x${i}` });
    expect(s.connections()).toBe(1);
  });

  it('skips 1xx answers, reads a body that runs to the end of the connection, and then reconnects', async () => {
    const s = await raw((socket, _head, i) => {
      if (i === 0)
        socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n');
      socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end ${i}`);
    });
    const send = http1Transport();
    expect(await (await send(post(s.url, 'a'))).text()).toBe('until the end 0');
    expect(await (await send(post(s.url, 'b'))).text()).toBe('until the end 1');
    expect(s.connections()).toBe(2);
  });

  it('opens a new connection after Connection: close, and reads HEAD and 204 answers without a body', async () => {
    const s = await raw((socket, head, i) => {
      if (head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n');
      else if (i === 1) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
      if (i === 2) socket.end();
    });
    const send = http1Transport();
    expect((await send({ method: 'HEAD', url: s.url, headers: {} })).status).toBe(200);
    expect((await send(post(s.url, ''))).status).toBe(204);
    expect(await (await send(post(s.url, 'x'))).text()).toBe('ok');
    expect(await (await send(post(s.url, 'y'))).text()).toBe('ok');
    expect(s.connections()).toBe(2);
  });

  it('sends once more on a fresh connection when a kept-alive one closes before answering', async () => {
    const s = await raw((socket, _head, i) => {
      // The second request arrives as the server drops the connection, unanswered.
      if (i === 1) socket.destroy();
      else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${i}`);
    });
    const send = http1Transport();
    expect(await (await send(post(s.url, 'a'))).text()).toBe('0');
    expect(await (await send(post(s.url, 'b'))).text()).toBe('2');
    expect(s.requests()).toBe(3);
    expect(s.connections()).toBe(2);
  });

  it('does not send again when a new connection closes before answering', async () => {
    const s = await raw((socket) => socket.destroy());
    const err = (await http1Transport()(post(s.url, 'a')).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toBe('ECONNRESET');
    expect(s.requests()).toBe(1);
  });

  it('fails with a TimeoutError when no whole answer comes in time, and on abort with its reason', async () => {
    const s = await raw((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart'));
    const send = http1Transport();
    const timedOut = (await send(post(s.url, 'a', { timeoutMs: 100 })).catch((e: unknown) => e)) as Error;
    expect(timedOut.name).toBe('TimeoutError');
    expect(s.requests()).toBe(1);
    const ac = new AbortController();
    const pending = send(post(s.url, 'b', { signal: ac.signal })).catch((e: unknown) => e);
    setTimeout(() => ac.abort(new Error('stopped by the caller')), 50);
    expect(((await pending) as Error).message).toBe('stopped by the caller');
    expect(
      ((await send(post(s.url, 'c', { signal: ac.signal })).catch((e: unknown) => e)) as Error).message,
    ).toBe('stopped by the caller');
  });

  it('fails on an answer that is not HTTP/1.x and on a refused connection', async () => {
    const s = await raw((socket) => socket.write('SSH-2.0-OpenSSH\r\n\r\n'));
    const garbled = (await http1Transport()(post(s.url, 'a')).catch((e: unknown) => e)) as Error;
    expect(garbled.message).toContain('not an HTTP/1.x status line');
    const free = await raw(() => undefined);
    await new Promise((r) => free.server.close(r));
    servers.splice(servers.indexOf(free.server), 1);
    const refused = (await http1Transport()(post(free.url, 'a')).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(refused.code).toBe('ECONNREFUSED');
  });

  it('refuses header names and values that would split the request, sending nothing', async () => {
    const s = await raw(() => undefined);
    const send = http1Transport();
    await expect(send(post(s.url, 'a', { headers: { 'x-a': 'v\r\nx-b: smuggled' } }))).rejects.toThrow(
      /invalid character in HTTP header x-a/,
    );
    await expect(send(post(s.url, 'a', { headers: { 'bad name': 'v' } }))).rejects.toThrow(
      /invalid HTTP header name/,
    );
    expect(s.connections()).toBe(0);
  });

  it('speaks HTTPS, verifying the certificate against the given CA', async () => {
    const server = createHttpsServer({ cert: CERT, key: KEY }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ secure: true, host: req.headers.host }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const send = http1Transport({ tls: { ca: CERT } });
    for (const host of ['localhost', '127.0.0.1'])
      expect(await (await send(post(`https://${host}:${port}/`, '{}'))).json()).toEqual({
        secure: true,
        host: `${host}:${port}`,
      });
    const untrusted = (await http1Transport()(post(`https://localhost:${port}/`, '{}')).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(untrusted.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
