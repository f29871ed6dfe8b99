import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Tenant } from '../../api/domain/tenants/types.js';
import type { Alert } from '../../api/monitoring/alert-store.js';
import { WebhookNotifier, signWebhook } from '../../api/monitoring/webhook.js';

const SECRET = 'whsec_test_secret_0123456789';
const NOW = new Date('2026-06-01T12:00:00.000Z');

/** A receiver that checks the signature the way a tenant would, and can fail or hang the first N attempts. */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}
let server: Server;
let url: string;
let received: Received[] = [];
let failFirst = 0;
let failStatus = 503;
let hangFirst = 0;

function verify(headers: IncomingHttpHeaders, body: string): boolean {
  const ts = String(headers['x-tributary-timestamp'] ?? '');
  const given = Buffer.from(String(headers['x-tributary-signature'] ?? ''));
  const want = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body, signatureValid: verify(req.headers, body) });
      if (hangFirst > 0) {
        hangFirst--;
        return; // never answers: the sender's per-attempt timeout must fire
      }
      if (failFirst > 0) {
        failFirst--;
        res.writeHead(failStatus).end('no');
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tributary`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received = [];
  failFirst = 0;
  failStatus = 503;
  hangFirst = 0;
});

const alert: Alert = {
  id: 'orders.silence.1780000000000',
  tenant: 'acme',
  stream: 'orders',
  rule: 'silence',
  state: 'firing',
  message: 'No records received in the last 10 minutes (limit 10 minutes).',
  firedAt: '2026-06-01T11:59:00.000Z',
  lastNotifiedState: 'firing',
};

function notifier(opts: { webhook?: Tenant['webhook']; timeoutMs?: number } = {}) {
  const tenants = new Map<string, Tenant>([
    ['acme', { name: 'acme', createdAt: 'x', webhook: opts.webhook ?? { url, secret: SECRET } }],
  ]);
  const sleeps: number[] = [];
  const n = new WebhookNotifier({
    catalog: { getTenant: async (name) => tenants.get(name) },
    logger: pino({ level: 'silent' }),
    now: () => NOW,
    baseDelayMs: 100,
    timeoutMs: opts.timeoutMs ?? 2000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { n, sleeps, tenants };
}

describe('WebhookNotifier', () => {
  it('POSTs {alert, tenant, sentAt} signed over timestamp + "." + body', async () => {
    const { n, sleeps } = notifier();
    expect(await n.notify('acme', alert)).toBe('sent');
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(r.signatureValid).toBe(true);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-tributary-timestamp']).toBe(String(NOW.getTime() / 1000));
    expect(r.headers['x-tributary-signature']).toBe(
      signWebhook(SECRET, String(NOW.getTime() / 1000), r.body),
    );
    const { lastNotifiedState: _, ...sent } = alert;
    expect(JSON.parse(r.body)).toEqual({ alert: sent, tenant: 'acme', sentAt: NOW.toISOString() });
    expect(sleeps).toEqual([]);
  });

  it('retries 5xx with exponential back-off and succeeds', async () => {
    failFirst = 2;
    const { n, sleeps } = notifier();
    expect(await n.notify('acme', alert)).toBe('sent');
    expect(received).toHaveLength(3);
    expect(received.every((r) => r.signatureValid)).toBe(true);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    expect(sleeps).toEqual([100, 200]);
  });

  it('gives up after 5 attempts without throwing', async () => {
    failFirst = 99;
    failStatus = 500;
    const { n, sleeps } = notifier();
    expect(await n.notify('acme', alert)).toBe('failed');
    expect(received).toHaveLength(5);
    expect(sleeps).toEqual([100, 200, 400, 800]);
  });

  it('does not retry a 4xx other than 408/429', async () => {
    failFirst = 99;
    failStatus = 410;
    const { n } = notifier();
    expect(await n.notify('acme', alert)).toBe('failed');
    expect(received).toHaveLength(1);

    received = [];
    failFirst = 1;
    failStatus = 429;
    expect(await n.notify('acme', alert)).toBe('sent');
    expect(received).toHaveLength(2);
  });

  it('times out an attempt that hangs and retries it', async () => {
    hangFirst = 1;
    const { n, sleeps } = notifier({ timeoutMs: 200 });
    expect(await n.notify('acme', alert)).toBe('sent');
    expect(received).toHaveLength(2);
    expect(sleeps).toEqual([100]);
  });

  it('reports a tenant without a webhook, an unreachable receiver and a cancelled delivery', async () => {
    const { n, tenants } = notifier();
    tenants.set('bare', { name: 'bare', createdAt: 'x' });
    expect(await n.notify('bare', alert)).toBe('no_webhook');
    expect(await n.notify('missing', alert)).toBe('no_webhook');

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = notifier({ webhook: { url: `http://127.0.0.1:${port}/`, secret: SECRET } });
    expect(await down.n.notify('acme', alert)).toBe('failed');
    expect(down.sleeps).toHaveLength(4);

    const aborted = AbortSignal.abort();
    expect(await n.notify('acme', alert, aborted)).toBe('failed');
    expect(received).toHaveLength(0);
  });
});
