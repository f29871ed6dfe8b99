import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAlertStore } from '../../api/adapters/dynamodb/alert-store.js';
import { createDynamoClient, ensureTable } from '../../api/adapters/dynamodb/index.js';
import { createApp } from '../../api/app.js';
import { AlertEvaluator } from '../../api/monitoring/evaluator.js';
import { WebhookNotifier } from '../../api/monitoring/webhook.js';
import type { ListAlertsResponse } from '../../api/routes/alerts/list.js';
import type { WebhookResponse } from '../../api/routes/webhook/put.js';
import type { Services } from '../../api/services.js';
import {
  ADMIN_KEY,
  createKey,
  createStream,
  createTenant,
  ordersSchema,
  startTestStack,
  type TestStack,
} from '../support/stack.js';
import { withContract } from '../support/contract.js';
import { silentLogger } from '../support/logger.js';

/**
 * Alerts and webhooks through the real embedded stack. The alerts live in a table of their own, written by
 * an evaluator whose clock the test moves, so the stack's own evaluator (real time) never touches them.
 */
let t: TestStack;
let client: DynamoDBClient;
let evaluator: AlertEvaluator;
let app: ReturnType<typeof createApp>;
let clock = 0;
const keys = { admin: '', other: '', consumer: '', producer: '' };

let receiver: Server;
let receiverUrl = '';
const deliveries: { headers: IncomingHttpHeaders; body: string }[] = [];

/** The value of the series with exactly these labels. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const open = line.indexOf('{');
    const close = line.lastIndexOf('}');
    if (open < 0 || line.slice(0, open) !== name) continue;
    const have = line
      .slice(open + 1, close)
      .split('",')
      .map((p) => (p.endsWith('"') ? p : `${p}"`));
    if (have.sort().join(',') === want) return Number(line.slice(close + 2));
  }
  return undefined;
}

async function call(method: string, path: string, key?: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return app.request(path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

beforeAll(async () => {
  // The receiver below listens on 127.0.0.1: this stack allows private webhook targets, as for local testing.
  t = await startTestStack({ TRIBUTARY_WEBHOOK_ALLOW_PRIVATE: 'true' });
  keys.admin = await createTenant(t, 'acme');
  keys.other = await createTenant(t, 'globex');
  for (const name of ['orders', 'audit']) {
    const res = await createStream(t, 'acme', keys.admin, {
      name,
      schema: ordersSchema,
      freshness: { maxSilenceMinutes: 30 },
    });
    expect(res.status).toBe(201);
  }
  keys.consumer = await createKey(t, 'acme', keys.admin, {
    name: 'c',
    role: 'consumer',
    streams: ['orders'],
  });
  keys.producer = await createKey(t, 'acme', keys.admin, { name: 'p', role: 'producer', streams: ['*'] });

  client = createDynamoClient({ endpoint: t.stack.catalogEndpoint });
  await ensureTable(client, 'route_alerts');
  const alerts = new DynamoAlertStore(client, 'route_alerts');
  app = withContract(createApp({ ...t.stack.services, alerts }));
  const { catalog, delivery, metrics } = t.stack.services;
  const logger = silentLogger;
  evaluator = new AlertEvaluator({
    catalog,
    delivery,
    metrics,
    alerts,
    notifier: new WebhookNotifier({ catalog, policy: t.stack.services.webhooks, logger, baseDelayMs: 10 }),
    now: () => new Date(clock),
    logger,
  });

  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
});
afterAll(async () => {
  await evaluator?.stop();
  client?.destroy();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  await t?.close();
});

describe('GET /v1/tenants/{tenant}/alerts', () => {
  it('lists alerts newest first, only for streams the key can see, filtered by state', async () => {
    clock = Date.now() + 31 * 60_000;
    const { fired } = await evaluator.evaluate();
    await evaluator.idle();
    expect(fired.map((a) => `${a.tenant}/${a.stream}:${a.rule}`).sort()).toEqual([
      'acme/audit:silence',
      'acme/orders:silence',
    ]);

    const all = await call('GET', '/v1/tenants/acme/alerts', keys.admin);
    expect(all.status).toBe(200);
    const body = (await all.json()) as ListAlertsResponse;
    expect(body.alerts.map((a) => a.stream).sort()).toEqual(['audit', 'orders']);
    expect(body.alerts[0]).toMatchObject({
      rule: 'silence',
      state: 'firing',
      firedAt: new Date(clock).toISOString(),
    });
    expect(body.alerts[0].message).toContain('No records received');
    expect(body.alerts.every((a) => a.lastNotifiedState === undefined)).toBe(true); // no webhook yet

    const scoped = (await (
      await call('GET', '/v1/tenants/acme/alerts', keys.consumer)
    ).json()) as ListAlertsResponse;
    expect(scoped.alerts.map((a) => a.stream)).toEqual(['orders']);
    const resolved = (await (
      await call('GET', '/v1/tenants/acme/alerts?state=resolved', keys.admin)
    ).json()) as ListAlertsResponse;
    expect(resolved.alerts).toEqual([]);
    const limited = (await (
      await call('GET', '/v1/tenants/acme/alerts?state=firing&limit=1', keys.admin)
    ).json()) as ListAlertsResponse;
    expect(limited.alerts).toHaveLength(1);
  });

  it('refuses bad queries, other tenants, the wrong role and missing keys', async () => {
    expect((await call('GET', '/v1/tenants/acme/alerts?state=open', keys.admin)).status).toBe(400);
    expect((await call('GET', '/v1/tenants/acme/alerts', keys.other)).status).toBe(404);
    expect((await call('GET', '/v1/tenants/acme/alerts', keys.producer)).status).toBe(403);
    expect((await call('GET', '/v1/tenants/acme/alerts')).status).toBe(401);
    expect((await call('GET', '/v1/tenants/acme/alerts', ADMIN_KEY)).status).toBe(403);
  });
});

describe('PUT/DELETE /v1/tenants/{tenant}/webhook', () => {
  /** PUT a webhook URL as the tenant admin, on the same stack under another webhook policy. */
  const putUnder = (webhooks: Services['webhooks']) => {
    const policyApp = createApp({ ...t.stack.services, webhooks });
    return (url: string) =>
      policyApp.request('/v1/tenants/acme/webhook', {
        method: 'PUT',
        headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
  };

  it('validates the body and needs manage', async () => {
    expect(
      (await call('PUT', '/v1/tenants/acme/webhook', keys.admin, { url: 'ftp://example.com/x' })).status,
    ).toBe(400);
    expect(
      (await call('PUT', '/v1/tenants/acme/webhook', keys.admin, { url: receiverUrl, secret: 'short' }))
        .status,
    ).toBe(400);
    expect(
      (await call('PUT', '/v1/tenants/acme/webhook', keys.admin, { url: receiverUrl, extra: 1 })).status,
    ).toBe(400);
    expect((await call('PUT', '/v1/tenants/acme/webhook', keys.consumer, { url: receiverUrl })).status).toBe(
      403,
    );
    expect((await call('PUT', '/v1/tenants/acme/webhook', keys.other, { url: receiverUrl })).status).toBe(
      404,
    );
  });

  it('stores the URL, returns a generated secret once, and firing alerts reach the receiver signed with it', async () => {
    const chosen = await call('PUT', '/v1/tenants/acme/webhook', keys.admin, {
      url: receiverUrl,
      secret: 'a'.repeat(16),
    });
    expect(await chosen.json()).toEqual({ url: receiverUrl, secret: 'a'.repeat(16) });
    const res = await call('PUT', '/v1/tenants/acme/webhook', keys.admin, { url: receiverUrl });
    expect(res.status).toBe(200);
    const { url, secret } = (await res.json()) as WebhookResponse;
    expect(url).toBe(receiverUrl);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect((await t.stack.services.catalog.getTenant('acme'))?.webhook).toEqual({ url: receiverUrl, secret });
    // The tenant list never shows it.
    const tenants = await call('GET', '/v1/tenants', ADMIN_KEY);
    expect(await tenants.text()).not.toContain(secret);

    // Notifications that found no webhook are tried again a minute later.
    clock += 2 * 60_000;
    await evaluator.evaluate();
    await evaluator.idle();
    expect(deliveries).toHaveLength(2);
    for (const d of deliveries) {
      const ts = String(d.headers['x-tributary-timestamp']);
      expect(d.headers['x-tributary-signature']).toBe(
        `sha256=${createHmac('sha256', secret).update(`${ts}.${d.body}`).digest('hex')}`,
      );
      expect(JSON.parse(d.body)).toMatchObject({
        tenant: 'acme',
        alert: { rule: 'silence', state: 'firing' },
      });
    }
    const listed = (await (
      await call('GET', '/v1/tenants/acme/alerts', keys.admin)
    ).json()) as ListAlertsResponse;
    expect(listed.alerts.map((a) => a.lastNotifiedState)).toEqual(['firing', 'firing']);
  });

  it('refuses internal URLs by default, naming the url field', async () => {
    expect(t.stack.services.webhooks).toEqual({ allowPrivate: true, requireHttps: false });
    // The same stack with the default policy (TRIBUTARY_WEBHOOK_ALLOW_PRIVATE unset).
    const put = putUnder({ allowPrivate: false, requireHttps: false });
    const before = (await t.stack.services.catalog.getTenant('acme'))?.webhook;
    for (const [url, range] of [
      [receiverUrl, 'loopback'],
      ['http://localhost:8080/hooks', 'loopback'],
      ['http://2130706433/', 'loopback'],
      ['http://[::1]/', 'loopback'],
      ['http://[::ffff:127.0.0.1]/', 'loopback'],
      ['http://169.254.169.254/latest/meta-data/', 'link-local'],
      ['https://10.0.0.5/', 'private'],
      ['https://192.168.1.10/', 'private'],
      ['https://[fd00::1]/', 'unique-local'],
      ['https://100.64.0.1/', 'carrier-grade NAT'],
      ['http://0.0.0.0/', 'unspecified'],
    ] as const) {
      const res = await put(url);
      expect(res.status, url).toBe(400);
      const p = (await res.json()) as { detail: string; errors: { path: string; message: string }[] };
      expect(p.errors).toEqual([{ path: 'body.url', message: expect.stringContaining(range) }]);
      expect(p.detail).toContain('internal address');
    }
    expect((await t.stack.services.catalog.getTenant('acme'))?.webhook).toEqual(before);
    // A public name is accepted (its addresses are checked when an alert is sent).
    expect((await put('https://hooks.example.com/tributary')).status).toBe(200);
  });

  it('requires https in AWS mode', async () => {
    const put = putUnder({ allowPrivate: false, requireHttps: true });
    const plain = await put('http://hooks.example.com/tributary');
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { errors: unknown }).errors).toEqual([
      { path: 'body.url', message: 'must use https' },
    ]);
    expect((await put('https://hooks.example.com/tributary')).status).toBe(200);
  });

  it('removes the webhook, idempotently', async () => {
    expect((await call('DELETE', '/v1/tenants/acme/webhook', keys.consumer)).status).toBe(403);
    expect((await call('DELETE', '/v1/tenants/acme/webhook', keys.admin)).status).toBe(204);
    expect((await t.stack.services.catalog.getTenant('acme'))?.webhook).toBeUndefined();
    expect((await call('DELETE', '/v1/tenants/acme/webhook', keys.admin)).status).toBe(204);
  });
});

describe('GET /metrics', () => {
  it('serves the Prometheus exposition to the platform key only', async () => {
    const ingest = await t.call('POST', '/v1/tenants/acme/streams/orders/records', {
      key: keys.producer,
      body: [{ order_id: 'a', amount: 1 }],
    });
    expect(ingest.status).toBe(200);
    expect((await t.call('GET', '/metrics')).status).toBe(401);
    expect((await t.call('GET', '/metrics', { key: keys.admin })).status).toBe(403);

    const res = await t.call('GET', '/metrics', { key: ADMIN_KEY });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(
      sample(text, 'tributary_ingest_records_total', {
        tenant: 'acme',
        stream: 'orders',
        outcome: 'accepted',
      }),
    ).toBe(1);
    expect(
      sample(text, 'tributary_http_requests_total', {
        method: 'POST',
        route: '/v1/tenants/{tenant}/streams/{stream}/records',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(text, 'tributary_http_requests_total', { method: 'GET', route: '/metrics', status: '403' }),
    ).toBe(1);
    expect(sample(text, 'tributary_stream_lag_seconds', { tenant: 'acme', stream: 'audit' })).toBe(0);
    expect(text).toContain('tributary_buffer_pressure_ok 1');
    expect(text).not.toContain('tributary_buffer_bytes'); // LocalDelivery does not report it (yet)
    // Raw paths never become labels.
    expect(text).not.toContain('/v1/tenants/acme');
  });
});
