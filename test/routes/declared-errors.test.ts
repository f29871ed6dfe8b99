import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../api/http/route.js';
import { routes } from '../../api/routes/index.js';
import {
  ADMIN_KEY,
  createStream,
  createTenant,
  ordersSchema,
  startTestStack,
  type TestStack,
} from '../support/stack.js';

/**
 * Generated from the route table: the errors the request pipeline gives every route (a bad path parameter,
 * a body where none is taken, a JSON body of the wrong type, too large or malformed). Each answer also
 * passes the contract check of the test stack, so each status must be declared for its operation.
 */
let t: TestStack;
let admin = '';

beforeAll(async () => {
  t = await startTestStack();
  admin = await createTenant(t, 'acme');
  expect((await createStream(t, 'acme', admin, { name: 'orders', schema: ordersSchema })).status).toBe(201);
});
afterAll(async () => t?.close());

const GOOD: Record<string, string> = {
  tenant: 'acme',
  stream: 'orders',
  id: 'a'.repeat(20),
  batchId: '0'.repeat(26),
};
/** A value each path parameter's pattern refuses (and that needs no URL encoding). */
const BAD: Record<string, string> = { tenant: 'Acme', stream: 'Orders', id: 'short', batchId: 'not-a-batch' };

const keyFor = (route: AnyRoute) => (route.access.kind === 'platform' ? ADMIN_KEY : admin);
const pathWith = (route: AnyRoute, bad?: string) =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === bad ? BAD[name] : GOOD[name]));
const label = (route: AnyRoute) => `${route.method.toUpperCase()} ${route.path}`;

interface Problem {
  status: number;
  code: string;
  errors?: { path: string; message: string }[];
  limit?: string;
  limitValue?: number;
}

describe('path parameters', () => {
  const cases = routes.flatMap((route) =>
    [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ route, param: m[1] })),
  );

  it('covers every path parameter of the table', () => {
    expect(cases.length).toBeGreaterThanOrEqual(28);
    expect(Object.keys(BAD).sort()).toEqual([...new Set(cases.map((c) => c.param))].sort());
  });

  for (const { route, param } of cases) {
    it(`${label(route)}: a bad {${param}} is 400 naming path.${param}`, async () => {
      const res = await t.call(route.method.toUpperCase(), pathWith(route, param), { key: keyFor(route) });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = (await res.json()) as Problem;
      expect(body.errors?.map((e) => e.path)).toContain(`path.${param}`);
    });
  }
});

describe('bodies', () => {
  const noBody = routes.filter((r) => !r.body && !r.rawBody && r.method !== 'get');
  const withBody = routes.filter((r) => r.body);

  it('finds the routes of each kind', () => {
    expect(noBody.map((r) => r.operationId).sort()).toEqual([
      'deleteStream',
      'deleteWarehouseBinding',
      'deleteWebhook',
      'revokeKey',
    ]);
    expect(withBody.map((r) => r.operationId).sort()).toEqual([
      'createKey',
      'createStream',
      'createTenant',
      'putWarehouseBinding',
      'putWebhook',
      'updateStream',
    ]);
  });

  for (const route of noBody) {
    it(`${label(route)}: a body is 400`, async () => {
      const res = await t.call(route.method.toUpperCase(), pathWith(route), {
        key: keyFor(route),
        raw: '{"unexpected":true}',
        // In-process requests carry no Content-Length of their own; over HTTP the client sends it.
        headers: { 'content-type': 'application/json', 'content-length': '19' },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Problem).code).toBe('invalid_input');
    });
  }

  for (const route of withBody) {
    it(`${label(route)}: 415 for a non-JSON type, 413 naming the limit, 400 for malformed JSON`, async () => {
      const send = (raw: string, type: string) =>
        t.call(route.method.toUpperCase(), pathWith(route), {
          key: keyFor(route),
          raw,
          headers: { 'content-type': type },
        });

      const wrongType = await send('name=x', 'application/x-www-form-urlencoded');
      expect(wrongType.status).toBe(415);
      expect(((await wrongType.json()) as Problem).code).toBe('unsupported_media_type');

      const tooLarge = await send(JSON.stringify({ name: 'x'.repeat(1024 * 1024) }), 'application/json');
      expect(tooLarge.status).toBe(413);
      expect(await tooLarge.json()).toMatchObject({
        code: 'payload_too_large',
        limit: 'maxControlBodyBytes',
        limitValue: 1024 * 1024,
      });

      const malformed = await send('{"name": ', 'application/json');
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as Problem).errors?.[0]?.path).toBe('body');
    });
  }
});

describe('outside the table', () => {
  it('answers an unknown path or method with a problem+json 404', async () => {
    for (const [method, path] of [
      ['GET', '/v2/nothing'],
      ['PUT', '/health'],
    ] as const) {
      const res = await t.call(method, path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as Problem).code).toBe('route_not_found');
    }
  });
});
