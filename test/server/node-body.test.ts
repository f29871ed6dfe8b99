import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../../bench/server-process.js';
import { contractFetch } from '../support/contract.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

/** The Node server reads ingest bodies straight from the request stream; limits must hold over real HTTP. */
const ADMIN = 'node-body-test-admin-key-0123456789abcdef';
let server: ServerProcess;
let dir = '';
let key = '';

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  contractFetch(`${server.url}/v1/tenants/acme/streams/events/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body,
  });

beforeAll(async () => {
  dir = await tempDir('tributary-node-body-');
  server = await startServer({
    dataDir: dir,
    adminKey: ADMIN,
    env: { TRIBUTARY_MAX_BODY_BYTES: '10000', TRIBUTARY_MAX_DECOMPRESSED_BYTES: '20000' },
  });
  const res = await contractFetch(`${server.url}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'acme' }),
  });
  key = ((await res.json()) as { key: { secret: string } }).key.secret;
  await contractFetch(`${server.url}/v1/tenants/acme/streams`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'events',
      schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    }),
  });
});
afterAll(async () => {
  await server?.stop('SIGKILL');
  if (dir) await removeDir(dir);
});

describe('ingest bodies over real HTTP', () => {
  it('accepts a normal body', async () => {
    const res = await post(JSON.stringify([{ id: 'a' }, { id: 'b' }]));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(2);
  });

  it('answers an oversized body (no Content-Length: chunked) with 413 naming the limit, and keeps serving', async () => {
    const big = JSON.stringify([{ id: 'x'.repeat(60_000) }]);
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(big);
        for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.subarray(i, i + 4096));
        controller.close();
      },
    });
    const res = await contractFetch(`${server.url}/v1/tenants/acme/streams/events/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('maxBodyBytes');
    expect((await post(JSON.stringify([{ id: 'after' }]))).status).toBe(200);
  });

  it('stops a gzip bomb while decompressing with 413', async () => {
    const bomb = gzipSync(Buffer.from('[' + '{"id":"aaaaaaaaaa"},'.repeat(50_000) + '{"id":"z"}]'));
    expect(bomb.length).toBeLessThan(10_000);
    const res = await post(bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('maxDecompressedBytes');
  });
});

/**
 * Sends a `total`-byte body to a control-plane route (chunked, or with a Content-Length when `declare` is
 * set) as fast as the socket takes it, but never more than `pauseAfter` bytes before an answer; stops the
 * moment the answer arrives and reports how much had been sent by then.
 */
function upload(
  path: string,
  opts: { total: number; declare?: boolean; pauseAfter?: number },
): Promise<{ status: number; body: string; sentAtAnswer: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(opts.declare ? { 'content-length': String(opts.total) } : {}),
      },
    });
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const sentAtAnswer = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, sentAtAnswer });
      });
    });
    // Once answered, the server may close the socket on the rest of the upload: that is the point.
    req.on('error', (err) =>
      answered ? undefined : reject(new Error(`upload failed after ${sent} bytes`, { cause: err })),
    );
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const stop = Math.min(opts.total, opts.pauseAfter ?? opts.total);
    const pump = (): void => {
      while (!answered && sent < stop) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && sent >= opts.total) req.end();
    };
    pump();
  });
}

describe('control-plane bodies over real HTTP', () => {
  const LIMIT = 1024 * 1024;
  const TOTAL = 64 * 1024 * 1024;

  it('stops reading a chunked body past 1 MiB and answers 413 before the client has sent it all', async () => {
    // The client sends at most 2 MiB of its 64 MiB and then waits for an answer: a server that wanted the
    // whole body before answering would never answer (and this test would time out). It stops that early
    // because the server drains an unread upload for only 500 ms after answering and then closes: a client
    // still writing by then (a loaded machine) meets EPIPE before it has read the answer.
    const res = await upload('/v1/tenants/acme/streams', { total: TOTAL, pauseAfter: 2 * LIMIT });
    expect(res.status).toBe(413);
    const problem = JSON.parse(res.body) as { limit: string; limitValue: number; detail: string };
    expect(problem).toMatchObject({ limit: 'maxControlBodyBytes', limitValue: LIMIT });
    expect(problem.detail).toContain('maxControlBodyBytes');
    // Answered while most of the upload was still to come: the server never read it all.
    expect(res.sentAtAnswer).toBeGreaterThan(LIMIT);
    expect(res.sentAtAnswer).toBeLessThan(TOTAL);
  });

  it('refuses a declared Content-Length past 1 MiB before reading the body', async () => {
    // The client sends one 64 KiB chunk of the declared 64 MiB and waits: the answer must come anyway.
    const res = await upload('/v1/tenants/acme/streams', { total: TOTAL, declare: true, pauseAfter: 1 });
    expect(res.status).toBe(413);
    expect(res.body).toContain('maxControlBodyBytes');
    expect(res.sentAtAnswer).toBe(64 * 1024);
  });

  it('keeps serving control-plane requests afterwards', async () => {
    const res = await fetch(`${server.url}/v1/tenants/acme/streams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'after',
        schema: { type: 'object', properties: { id: { type: 'string' } } },
      }),
    });
    expect(res.status).toBe(201);
  });
});
