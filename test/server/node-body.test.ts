import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../crash/server-process.js';
import { contractFetch } from '../support/contract.js';

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
  dir = await mkdtemp(join(tmpdir(), 'tributary-node-body-'));
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
  if (dir) await rm(dir, { recursive: true, force: true });
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
