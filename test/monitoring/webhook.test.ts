import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { WebhookPolicy } from '../../api/domain/monitoring/webhook-target.js';
import type { Tenant } from '../../api/domain/tenants/types.js';
import type { Alert } from '../../api/domain/monitoring/types.js';
import { WebhookNotifier, signWebhook, type Resolve } from '../../api/monitoring/webhook.js';

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
let redirectTo: string | undefined;

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
      if (redirectTo) {
        res.writeHead(302, { location: redirectTo }).end();
        return;
      }
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
  redirectTo = undefined;
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

/** The stub receiver listens on 127.0.0.1, so these tests allow private addresses unless they say otherwise. */
const ALLOW_PRIVATE: WebhookPolicy = { allowPrivate: true, requireHttps: false };
const DEFAULT_POLICY: WebhookPolicy = { allowPrivate: false, requireHttps: false };

function notifier(
  opts: { webhook?: Tenant['webhook']; timeoutMs?: number; policy?: WebhookPolicy; resolve?: Resolve } = {},
) {
  const tenants = new Map<string, Tenant>([
    ['acme', { name: 'acme', createdAt: 'x', webhook: opts.webhook ?? { url, secret: SECRET } }],
  ]);
  const sleeps: number[] = [];
  const logs: { msg: string; reason?: string }[] = [];
  const n = new WebhookNotifier({
    catalog: { getTenant: async (name) => tenants.get(name) },
    policy: opts.policy ?? ALLOW_PRIVATE,
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
    logger: pino(
      { level: 'info' },
      { write: (line: string) => logs.push(JSON.parse(line) as { msg: string; reason?: string }) },
    ),
    now: () => NOW,
    baseDelayMs: 100,
    timeoutMs: opts.timeoutMs ?? 2000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { n, sleeps, tenants, logs };
}

describe('WebhookNotifier', () => {
  it('POSTs {alert, tenant, sentAt} signed over timestamp + "." + body', async () => {
    const { n, sleeps } = notifier();
    expect(await n.notify('acme', alert)).toBe('sent');
    expect(received).toHaveLength(1);
    const r = received[0];
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

describe('WebhookNotifier: internal targets', () => {
  const at = (host: string) => url.replace('127.0.0.1', host);
  const reasons = (logs: { reason?: string }[]) => logs.flatMap((l) => (l.reason ? [l.reason] : []));

  it('refuses a stored internal URL by default, before connecting', async () => {
    for (const target of [url, at('[::1]'), 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.7/']) {
      const { n, sleeps, logs } = notifier({
        webhook: { url: target, secret: SECRET },
        policy: DEFAULT_POLICY,
      });
      expect(await n.notify('acme', alert)).toBe('failed');
      expect(sleeps).toEqual([]); // not retried: the answer would not change
      expect(reasons(logs).join()).toMatch(/must not point at an internal address/);
    }
    expect(received).toHaveLength(0);
  });

  it('resolves a name at send time and refuses it when it resolves to loopback (localhost)', async () => {
    const refused = notifier({ webhook: { url: at('localhost'), secret: SECRET }, policy: DEFAULT_POLICY });
    expect(await refused.n.notify('acme', alert)).toBe('failed');
    expect(received).toHaveLength(0);
    expect(refused.sleeps).toEqual([]);

    // A name that is not literally internal is checked on the addresses DNS gives for it.
    const resolved: string[] = [];
    const loopbackDns: Resolve = async (host) => {
      resolved.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const sneaky = notifier({
      webhook: { url: at('hooks.example.com'), secret: SECRET },
      policy: DEFAULT_POLICY,
      resolve: loopbackDns,
    });
    expect(await sneaky.n.notify('acme', alert)).toBe('failed');
    expect(resolved).toEqual(['hooks.example.com']);
    expect(reasons(sneaky.logs)).toEqual([
      'hooks.example.com resolves to 127.0.0.1, a loopback address; webhooks may not reach internal addresses',
    ]);
    expect(received).toHaveLength(0);

    // The same names go through when private addresses are allowed (local testing).
    const allowed = notifier({ webhook: { url: at('localhost'), secret: SECRET } });
    expect(await allowed.n.notify('acme', alert)).toBe('sent');
    expect(received).toHaveLength(1);
  });

  it('checks every address a name resolves to, including IPv4-mapped IPv6', async () => {
    for (const internal of ['10.1.2.3', '::ffff:169.254.169.254', 'fd00::1', '100.64.0.9']) {
      const { n, logs } = notifier({
        webhook: { url: 'http://hooks.example.com/x', secret: SECRET },
        policy: DEFAULT_POLICY,
        resolve: async () => [
          { address: '93.184.215.14', family: 4 },
          { address: internal, family: internal.includes(':') ? 6 : 4 },
        ],
      });
      expect(await n.notify('acme', alert)).toBe('failed');
      expect(reasons(logs).join()).toContain(`resolves to ${internal}`);
    }
  });

  it('connects to the address it checked, not to a second DNS answer (rebinding)', async () => {
    // The first answer is the one checked; any later lookup would say something else. The host name does
    // not exist in real DNS either, so delivery works only if the connection uses the checked answer.
    let lookups = 0;
    const rebinding: Resolve = async () => {
      lookups++;
      return lookups === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.255.255.1', family: 4 }];
    };
    const { n } = notifier({ webhook: { url: at('rebind.invalid'), secret: SECRET }, resolve: rebinding });
    expect(await n.notify('acme', alert)).toBe('sent');
    expect(lookups).toBe(1);
    expect(received).toHaveLength(1);
    expect(received[0].headers.host).toBe(new URL(at('rebind.invalid')).host);
    expect(received[0].signatureValid).toBe(true);
  });

  it('does not follow a redirect: a 3xx is a failed delivery with the reason', async () => {
    redirectTo = 'http://169.254.169.254/latest/meta-data/';
    const { n, sleeps, logs } = notifier();
    expect(await n.notify('acme', alert)).toBe('failed');
    expect(received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(reasons(logs)).toEqual([
      'the receiver answered 302 (redirect to http://169.254.169.254/latest/meta-data/); redirects are not followed',
    ]);
  });

  it('requires https when the policy does (AWS mode), even for a URL stored earlier', async () => {
    const { n, logs } = notifier({ policy: { allowPrivate: true, requireHttps: true } });
    expect(await n.notify('acme', alert)).toBe('failed');
    expect(received).toHaveLength(0);
    expect(reasons(logs)).toEqual(['url must use https']);
  });
});
