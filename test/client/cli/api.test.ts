import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchApi, TributaryError } from '../../../client/cli/api.js';
import { describeApiError } from '../../../client/cli/errors.js';

/** An HTTP server answering each request with the next scripted answer, recording what it got. */
async function scripted(answers: { status: number; headers?: Record<string, string>; body: unknown }[]) {
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      const a = answers[Math.min(seen.length - 1, answers.length - 1)];
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const problem = (status: number, code: string, detail: string) => ({
  type: `https://tributary.dev/problems/${code.replace(/_/g, '-')}`,
  title: 'x',
  status,
  detail,
  code,
  requestId: 'r',
});
const result = { batchId: 'B', accepted: 2, rejected: 0, duplicates: 0, errors: [] };

let open: Server | undefined;
afterEach(() => open?.close());

describe('the stand-in API client', () => {
  it('retries 429, 503 and a 409 in progress, honouring Retry-After, with the same key and body', async () => {
    const s = await scripted([
      { status: 429, headers: { 'retry-after': '0' }, body: problem(429, 'overloaded', 'busy') },
      { status: 503, headers: { 'retry-after': '0' }, body: problem(503, 'unavailable', 'down') },
      { status: 409, headers: { 'retry-after': '0' }, body: problem(409, 'idempotency_in_progress', 'wait') },
      { status: 200, body: result },
    ]);
    open = s.server;
    const retries: (number | undefined)[] = [];
    const api = new FetchApi({ url: s.url, key: 'k' });
    const r = await api.sendBatch({
      tenant: 't',
      stream: 's',
      body: '{"a":1}\n{"a":2}\n',
      idempotencyKey: 'key-1',
      onRetry: (i) => retries.push(i.status),
    });
    expect(r).toEqual(result);
    expect(retries).toEqual([429, 503, 409]);
    expect(new Set(s.seen.map((x) => `${x.headers['idempotency-key']} ${x.body}`))).toEqual(
      new Set(['key-1 {"a":1}\n{"a":2}\n']),
    );
    expect(s.seen[0].headers.authorization).toBe('Bearer k');
    expect(s.seen[0].headers['content-type']).toBe('application/x-ndjson');
  });

  it('answers a 422 (nothing accepted) like a 200, and throws any other refusal at once', async () => {
    const s = await scripted([
      { status: 422, body: { ...result, accepted: 0, rejected: 2 } },
      {
        status: 409,
        body: problem(409, 'idempotency_conflict', 'Idempotency-Key reused with a different body'),
      },
    ]);
    open = s.server;
    const api = new FetchApi({ url: s.url });
    const send = () => api.sendBatch({ tenant: 't', stream: 's', body: 'x', idempotencyKey: 'k' });
    expect((await send()).rejected).toBe(2);
    const err = await send().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect(err).toMatchObject({ status: 409, code: 'idempotency_conflict' });
    expect(s.seen).toHaveLength(2);
  });

  it('reads a problem body into a one-line message naming the fields', async () => {
    const s = await scripted([
      {
        status: 400,
        body: {
          ...problem(400, 'invalid_schema', 'schema is not valid (2 problems)'),
          title: 'Bad Request',
          errors: [
            { path: 'schema.properties.a.type', message: 'unsupported type "strin"' },
            { path: 'schema.required[0]', message: "'b' is not a declared property" },
          ],
        },
      },
    ]);
    open = s.server;
    const err = await new FetchApi({ url: s.url }).streams.get('t', 's').catch((e: unknown) => e);
    expect(describeApiError(err as TributaryError)).toBe(
      '400 Bad Request: schema is not valid (2 problems) (schema.properties.a.type: unsupported type "strin"; ' +
        "schema.required[0]: 'b' is not a declared property)",
    );
  });
});
