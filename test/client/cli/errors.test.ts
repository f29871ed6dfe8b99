import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Tributary, TributaryError } from '../../../client/index.js';
import { describeApiError, explain } from '../../../client/cli/errors.js';
import { contractFetch } from '../../support/contract.js';

/** The SDK's errors as the CLI prints them: one line, from the problem body or from why nothing answered. */

let open: Server | undefined;
afterEach(() => {
  open?.closeAllConnections();
  open?.close();
  open = undefined;
});

/** An HTTP server giving every request the same answer, or none at all when `answer` is undefined. */
async function serve(answer?: { status: number; body: unknown }): Promise<string> {
  open = createServer((req, res) => {
    req.resume();
    if (!answer) return;
    res.writeHead(answer.status, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => open!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(open.address() as AddressInfo).port}`;
}

async function caught(p: Promise<unknown>): Promise<TributaryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  return err as TributaryError;
}

describe('describeApiError', () => {
  it('reads a problem body into a one-line message naming the fields', async () => {
    const url = await serve({
      status: 400,
      body: {
        type: 'https://tributary.dev/problems/invalid-schema',
        title: 'Bad Request',
        status: 400,
        detail: 'schema is not valid (2 problems)',
        code: 'invalid_schema',
        requestId: 'r',
        errors: [
          { path: 'schema.properties.a.type', message: 'unsupported type "strin"' },
          { path: 'schema.required[0]', message: "'b' is not a declared property" },
        ],
      },
    });
    const err = await caught(new Tributary({ url }).streams.get('t', 's'));
    expect(describeApiError(err)).toBe(
      '400 Bad Request: schema is not valid (2 problems) (schema.properties.a.type: unsupported type "strin"; ' +
        "schema.required[0]: 'b' is not a declared property)",
    );
    expect(explain(err)).toEqual({ message: describeApiError(err), exitCode: 1 });
  });

  it('keeps a timeout that is not the network (a receipt still waiting) as the SDK says it', () => {
    const err = new TributaryError({
      status: 0,
      title: 'Timeout',
      code: 'timeout',
      detail: 'batch B is buffered, not loaded, after 1000 ms',
    });
    expect(describeApiError(err, 'http://x')).toBe('Timeout: batch B is buffered, not loaded, after 1000 ms');
  });
});

/** Both ways the SDK talks HTTP: node:http (what the CLI uses) and an injected fetch (what its tests use). */
describe.each([
  ['node:http', undefined],
  ['fetch', contractFetch],
] as const)('when nothing answers, over %s', (_name, fetchFn) => {
  it('names the server and the system’s reason', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createTcpServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const err = await caught(new Tributary({ url, fetch: fetchFn }).streams.list('t'));
    expect(describeApiError(err, url)).toBe(`Network error: cannot reach ${url} (ECONNREFUSED)`);
  });

  it('says the server did not answer in time', async () => {
    const url = await serve();
    const err = await caught(new Tributary({ url, fetch: fetchFn, requestTimeoutMs: 100 }).streams.list('t'));
    expect(describeApiError(err, url)).toBe(`Timeout: ${url} did not answer in time`);
  });
});
