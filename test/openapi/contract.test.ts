import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkedCount,
  contractViolations,
  takeViolations,
  withContract,
  type Exchange,
} from '../support/contract.js';
import { ADMIN_KEY, startTestStack, type TestStack } from '../support/stack.js';

/** The response validator itself: it must catch what it exists to catch, and pass what conforms. */
const json = { 'content-type': 'application/json', 'x-request-id': 'r-1' };
const problemJson = { 'content-type': 'application/problem+json', 'x-request-id': 'r-1' };
const problem = (status: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'https://tributary.dev/problems/x',
    title: 'T',
    status,
    detail: 'd',
    code: 'x',
    requestId: 'r-1',
    ...extra,
  });
const ex = (e: Partial<Exchange>): Exchange => ({
  method: 'GET',
  url: '/health',
  status: 200,
  headers: json,
  body: '{"status":"ok"}',
  ...e,
});

describe('the contract validator', () => {
  it('passes a conforming answer', () => {
    expect(contractViolations(ex({}))).toEqual([]);
  });

  it('catches an undeclared status', () => {
    const v = contractViolations(
      ex({ url: '/v1/tenants/acme/keys', status: 418, headers: problemJson, body: problem(418) }),
    );
    expect(v.join()).toMatch(/GET \/v1\/tenants\/acme\/keys → 418 \(listKeys\): status 418 is not declared/);
  });

  it('catches a body that does not match the declared schema', () => {
    expect(contractViolations(ex({ body: '{"status":"fine"}' })).join()).toMatch(
      /\(health\): body does not match the declared schema: \/status must be equal to constant/,
    );
    // A problem body with a member the document does not declare (Problem is closed).
    expect(
      contractViolations(
        ex({
          method: 'DELETE',
          url: '/v1/tenants/acme/webhook',
          status: 403,
          headers: problemJson,
          body: problem(403, { limit: 'x' }),
        }),
      ).join(),
    ).toMatch(/must NOT have additional properties 'limit'/);
    // A 413 must name its limit.
    expect(
      contractViolations(
        ex({ method: 'POST', url: '/v1/tenants', status: 413, headers: problemJson, body: problem(413) }),
      ).join(),
    ).toMatch(/must have required property 'limit'/);
  });

  it('catches an undeclared content type, a missing required header and an unknown operation', () => {
    expect(
      contractViolations(ex({ headers: { 'content-type': 'text/plain', 'x-request-id': 'r' } })).join(),
    ).toMatch(/content type 'text\/plain' is not declared/);
    expect(contractViolations(ex({ headers: { 'content-type': 'application/json' } })).join()).toMatch(
      /required header X-Request-Id is missing/,
    );
    const overloaded = ex({
      method: 'POST',
      url: '/v1/tenants/acme/streams/orders/records?atomic=true',
      status: 429,
      headers: problemJson,
      body: problem(429),
    });
    expect(contractViolations(overloaded).join()).toMatch(
      /\(ingestRecords\): required header Retry-After is missing/,
    );
    expect(contractViolations({ ...overloaded, headers: { ...problemJson, 'retry-after': '1' } })).toEqual(
      [],
    );
    expect(contractViolations(ex({ method: 'PUT', url: '/health' })).join()).toMatch(
      /no operation in openapi.yaml/,
    );
  });

  it('fails the request of a test app whose answer departs, and records it for the after-each check', async () => {
    const app = withContract(new Hono());
    app.get('/health', (c) => c.json({ status: 'ok', extra: 1 }, 200, { 'X-Request-Id': 'r' }));
    await expect(app.request('/health', { headers: { 'x-request-id': 'r' } })).rejects.toThrow(
      /departs from openapi.yaml[\s\S]*additional properties 'extra'/,
    );
    // Taken here so this deliberate violation does not fail the test in contract-setup.ts.
    expect(takeViolations()).toHaveLength(1);
  });
});

describe('the test stack', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('checks every answer of the real app', async () => {
    const before = checkedCount();
    const res = await t.call('GET', '/v1/tenants', { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tenants: [] });
    expect(checkedCount()).toBe(before + 1);
  });
});

describe('coverage of the check', () => {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const files = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts') && !f.startsWith('e2e'))
    .map((f) => ({ name: relative(root, join(root, f)), text: readFileSync(join(root, f), 'utf8') }));

  it('reaches every test file that talks to the app', () => {
    const missing: string[] = [];
    for (const { name, text } of files) {
      // The test stack (startTestStack) checks every answer itself; these build or reach the app another way.
      if (text.includes('createApp(') && !text.includes('withContract(createApp('))
        missing.push(`${name}: createApp`);
      // test/support/cli.ts runs the CLI in-process on contractFetch, and makes its own calls with it.
      const checked = text.includes('contractFetch(') || text.includes("from '../../support/cli.js'");
      if (text.includes('startServer(') && !checked) missing.push(`${name}: startServer`);
      if (text.includes('api/lambda.js') && !text.includes('checkExchange(')) missing.push(`${name}: lambda`);
    }
    expect(missing).toEqual([]);
    expect(files.filter((f) => f.text.includes('startTestStack(')).length).toBeGreaterThanOrEqual(8);
  });
});
