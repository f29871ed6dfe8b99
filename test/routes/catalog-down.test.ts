import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  DynamoCatalog,
  ensureTable,
  startDynalite,
  type EmbeddedDynamo,
} from '../../api/adapters/dynamodb/index.js';
import { createApp } from '../../api/app.js';
import { withContract } from '../support/contract.js';
import { ADMIN_KEY, ordersSchema, startTestStack, type TestStack } from '../support/stack.js';

/**
 * The catalog goes away (its dynalite is stopped): every authenticated route answers a problem+json 503 with
 * Retry-After, never a 500, and /ready says why. The app's catalog is a DynamoDB catalog of its own, uncached,
 * so each request reaches it; the answers pass the contract check like every other route test's.
 */
let t: TestStack;
let dynamo: EmbeddedDynamo;
let app: ReturnType<typeof createApp>;
let tenantKey = '';

async function call(method: string, path: string, key: string, body?: unknown): Promise<Response> {
  return app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  t = await startTestStack();
  dynamo = await startDynalite(join(t.dir, 'down-catalog'));
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTable(client, 'tributary');
  app = withContract(createApp({ ...t.stack.services, catalog: new DynamoCatalog(client, 'tributary') }));
  const tenant = await call('POST', '/v1/tenants', ADMIN_KEY, { name: 'acme' });
  expect(tenant.status).toBe(201);
  tenantKey = ((await tenant.json()) as { key: { secret: string } }).key.secret;
  const stream = await call('POST', '/v1/tenants/acme/streams', tenantKey, {
    name: 'orders',
    schema: ordersSchema,
  });
  expect(stream.status).toBe(201);
  await dynamo.close();
});
afterAll(async () => {
  await t?.close();
});

describe('with the catalog down', () => {
  const cases: [string, string, 'platform' | 'tenant', unknown?][] = [
    ['GET', '/v1/tenants', 'platform'],
    ['POST', '/v1/tenants', 'platform', { name: 'globex' }],
    ['GET', '/v1/me', 'tenant'],
    ['GET', '/v1/tenants/acme/streams', 'tenant'],
    ['GET', '/v1/tenants/acme/streams/orders', 'tenant'],
    ['POST', '/v1/tenants/acme/streams/orders/records', 'tenant', [{ order_id: 'a', amount: 1 }]],
    ['GET', '/v1/tenants/acme/keys', 'tenant'],
  ];
  for (const [method, path, who, body] of cases) {
    it(`${method} ${path} (${who} key) answers 503 with Retry-After`, async () => {
      const res = await call(method, path, who === 'platform' ? ADMIN_KEY : tenantKey, body);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'dependency_unavailable', status: 503 });
    });
  }

  it('GET /ready answers 503 naming the catalog', async () => {
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ready: false, checks: { catalog: 'unreachable' } });
  });
});
