import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../api/http/route.js';
import { routes } from '../../api/routes/index.js';
import {
  ADMIN_KEY,
  createKey,
  createStream,
  createTenant,
  ordersSchema,
  startTestStack,
  type TestStack,
} from '../support/stack.js';

/**
 * Generated from the route table: every route × every kind of caller × own/other tenant, with the exact
 * status the access rules give. A route added later is covered without touching this file.
 */
type Caller =
  | 'none'
  | 'garbage'
  | 'revoked'
  | 'platform'
  | 'admin'
  | 'producer'
  | 'consumer'
  | 'consumerOther'
  | 'otherAdmin';

let t: TestStack;
const keys: Partial<Record<Caller, string>> = {};
let batchId = '';
let revokableKeyId = '';

beforeAll(async () => {
  t = await startTestStack();
  const admin = await createTenant(t, 'acme');
  const other = await createTenant(t, 'globex');
  await createStream(t, 'acme', admin, { name: 'orders', schema: ordersSchema });
  await createStream(t, 'acme', admin, { name: 'audit', schema: ordersSchema });
  await createStream(t, 'globex', other, { name: 'orders', schema: ordersSchema });
  keys.none = undefined;
  keys.garbage = 'trb_aaaaaaaaaaaaaaaaaaaa_' + 'x'.repeat(43);
  keys.platform = ADMIN_KEY;
  keys.admin = admin;
  keys.otherAdmin = other;
  keys.producer = await createKey(t, 'acme', admin, { name: 'p', role: 'producer', streams: ['orders'] });
  keys.consumer = await createKey(t, 'acme', admin, { name: 'c', role: 'consumer', streams: ['orders'] });
  keys.consumerOther = await createKey(t, 'acme', admin, {
    name: 'c2',
    role: 'consumer',
    streams: ['audit'],
  });
  keys.revoked = await createKey(t, 'acme', admin, { name: 'r', role: 'admin', streams: ['*'] });
  const revokedId = keys.revoked.split('_')[1];
  expect((await t.call('DELETE', `/v1/tenants/acme/keys/${revokedId}`, { key: admin })).status).toBe(204);
  const res = await t.call('POST', '/v1/tenants/acme/streams/orders/records', {
    key: admin,
    body: [{ order_id: 'a', amount: 1 }],
  });
  batchId = ((await res.json()) as { batchId: string }).batchId;
  revokableKeyId = keys.consumer.split('_')[1]!;
});
afterAll(async () => t?.close());

function expected(route: AnyRoute, caller: Caller): 'allowed' | number {
  const a = route.access;
  if (a.kind === 'public') return 'allowed';
  if (caller === 'none' || caller === 'garbage' || caller === 'revoked') return 401;
  if (a.kind === 'any-key') return 'allowed';
  if (a.kind === 'platform') return caller === 'platform' ? 'allowed' : 403;
  if (caller === 'platform') return a.orPlatform ? 'allowed' : 403;
  if (caller === 'otherAdmin') return 404; // the tenant in the path is acme: never reveal it exists
  const role = caller === 'admin' ? 'admin' : caller === 'producer' ? 'producer' : 'consumer';
  const allowed =
    role === 'admin' ||
    (role === 'producer' && a.action === 'produce') ||
    (role === 'consumer' && a.action === 'read');
  if (!allowed) return 403;
  if (a.stream && caller === 'consumerOther') return 403; // scoped to 'audit', path names 'orders'
  return 'allowed';
}

function pathFor(route: AnyRoute): string {
  return route.path
    .replace('{tenant}', 'acme')
    .replace('{stream}', 'orders')
    .replace('{batchId}', batchId)
    .replace('{id}', revokableKeyId);
}

function bodyFor(route: AnyRoute): { body?: unknown; raw?: string; headers?: Record<string, string> } {
  if (route.rawBody)
    return {
      raw: JSON.stringify([{ order_id: 'x', amount: 2 }]),
      headers: { 'content-type': 'application/json' },
    };
  if (!route.body) return {};
  // A body that is valid where it matters is irrelevant: auth is decided before the body is read.
  return { body: {} };
}

const callers: Caller[] = [
  'none',
  'garbage',
  'revoked',
  'platform',
  'admin',
  'producer',
  'consumer',
  'consumerOther',
  'otherAdmin',
];
// Destructive routes are called last so they don't remove what other cases need.
const ordered = [...routes].sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));

describe('security matrix (generated from the route table)', () => {
  it('covers every route', () => {
    expect(ordered.length).toBe(routes.length);
    expect(routes.length).toBeGreaterThanOrEqual(19);
  });

  for (const route of ordered) {
    for (const caller of callers) {
      const want = expected(route, caller);
      // Allowed destructive calls would change state for later cases; their success is covered elsewhere.
      if (want === 'allowed' && route.method === 'delete') continue;
      it(`${route.method.toUpperCase()} ${route.path} as ${caller} → ${want}`, async () => {
        const res = await t.call(route.method.toUpperCase(), pathFor(route), {
          key: keys[caller],
          ...bodyFor(route),
        });
        if (want === 'allowed') {
          expect([401, 403]).not.toContain(res.status);
          if (res.status === 404) expect(((await res.json()) as { code: string }).code).not.toBe('not_found');
          expect(res.status).toBeLessThan(500);
        } else {
          expect(res.status).toBe(want);
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          const body = (await res.json()) as { status: number; requestId: string; detail: string };
          expect(body.status).toBe(want);
          expect(body.requestId).toBe(res.headers.get('x-request-id'));
          if (want === 404) expect(body.detail).not.toMatch(/globex|exists/);
        }
      });
    }
  }
});
