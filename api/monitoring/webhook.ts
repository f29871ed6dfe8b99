import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import {
  hostOf,
  internalRangeOf,
  webhookUrlProblem,
  type WebhookPolicy,
} from '../domain/monitoring/webhook-target.js';
import type { Alert } from '../domain/monitoring/types.js';
import type { AlertNotifier, Catalog, NotifyOutcome } from '../ports.js';

export const SIGNATURE_HEADER = 'X-Tributary-Signature';
export const TIMESTAMP_HEADER = 'X-Tributary-Timestamp';

/** `sha256=<hex>` over `<timestamp>.<body>`: the timestamp is signed so a captured request cannot be replayed later. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Every address a name resolves to (dns.lookup with all: true). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export interface WebhookOptions {
  catalog: Pick<Catalog, 'getTenant'>;
  /** Where webhooks may point; checked on every attempt against the addresses the host resolves to. */
  policy: WebhookPolicy;
  logger: Logger;
  /** DNS; injected so tests can play a resolver that changes its answer. Default: dns.lookup. */
  resolve?: Resolve;
  now?: () => Date;
  /** Default 5. */
  attempts?: number;
  /** First back-off; doubles after each failed attempt. Default 1 s. */
  baseDelayMs?: number;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Injected so tests don't wait; must reject when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A delivery that must not be tried again: the target is not allowed, or the receiver redirected. */
class Refused extends Error {}

/**
 * POSTs `{alert, tenant, sentAt}` to the tenant's webhook, signed with its secret. Retries network
 * errors, timeouts, 408, 429 and 5xx with exponential back-off; any other status is the receiver's final
 * answer. Redirects are not followed (the URL was registered by the tenant; a redirect could point anywhere).
 *
 * Each attempt resolves the host once, refuses it unless every address is allowed by the policy, and then
 * connects to exactly the checked addresses: a DNS answer that changes between check and connect
 * (rebinding) never reaches an internal address.
 */
export class WebhookNotifier implements AlertNotifier {
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => Date;
  private readonly resolve: Resolve;

  constructor(private readonly opts: WebhookOptions) {
    this.resolve = opts.resolve ?? ((host) => lookupAll(host));
    this.attempts = opts.attempts ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.sleep = opts.sleep ?? abortableSleep;
    this.now = opts.now ?? (() => new Date());
  }

  async notify(tenantName: string, alert: Alert, signal?: AbortSignal): Promise<NotifyOutcome> {
    const log = this.opts.logger.child({ tenant: tenantName, alertId: alert.id, state: alert.state });
    let webhook: { url: string; secret: string } | undefined;
    try {
      webhook = (await this.opts.catalog.getTenant(tenantName))?.webhook;
    } catch (err) {
      log.warn({ err }, 'webhook: could not read the tenant');
      return 'failed';
    }
    if (!webhook) return 'no_webhook';
    // A URL stored under a laxer policy (or before this check existed) is refused the same way as at PUT.
    const problem = webhookUrlProblem(webhook.url, this.opts.policy);
    if (problem) {
      log.warn({ reason: `url ${problem}` }, 'webhook not sent');
      return 'failed';
    }
    const url = new URL(webhook.url);
    const { lastNotifiedState: _, ...payloadAlert } = alert;
    const body = JSON.stringify({
      alert: payloadAlert,
      tenant: tenantName,
      sentAt: this.now().toISOString(),
    });
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (signal?.aborted) return 'failed';
      const timestamp = String(Math.floor(this.now().getTime() / 1000));
      let retry: boolean;
      let detail: Record<string, unknown>;
      try {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const addresses = await this.allowedAddresses(url);
        const res = await post(url, addresses, {
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'tributary-webhook/1',
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signWebhook(webhook.secret, timestamp, body),
          },
          body,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        if (res.status >= 200 && res.status < 300) {
          log.info({ attempt, status: res.status }, 'webhook delivered');
          return 'sent';
        }
        if (res.status >= 300 && res.status < 400) {
          throw new Refused(
            `the receiver answered ${res.status} (redirect${res.location ? ` to ${res.location}` : ''}); redirects are not followed`,
          );
        }
        retry = res.status === 408 || res.status === 429 || res.status >= 500;
        detail = { status: res.status };
      } catch (err) {
        if (err instanceof Refused) {
          log.warn({ attempt, reason: err.message }, 'webhook not sent');
          return 'failed';
        }
        retry = true;
        detail = { err };
      }
      if (!retry) {
        log.warn({ attempt, ...detail }, 'webhook refused; not retrying');
        return 'failed';
      }
      if (attempt === this.attempts) break;
      const delay = this.baseDelayMs * 2 ** (attempt - 1);
      log.debug({ attempt, retryInMs: delay, ...detail }, 'webhook attempt failed');
      try {
        await this.sleep(delay, signal);
      } catch {
        return 'failed';
      }
    }
    log.warn({ attempts: this.attempts }, 'webhook failed after every attempt');
    return 'failed';
  }

  /** Resolves the host once and refuses it unless every address it has is allowed. */
  private async allowedAddresses(url: URL): Promise<LookupAddress[]> {
    const host = hostOf(url);
    const family = isIP(host);
    const addresses = family ? [{ address: host, family }] : await this.resolve(host);
    if (addresses.length === 0) throw new Error(`${host} resolved to no address`);
    if (!this.opts.policy.allowPrivate) {
      for (const { address } of addresses) {
        const range = internalRangeOf(address);
        if (range)
          throw new Refused(
            `${host} resolves to ${address}, a ${range} address; webhooks may not reach internal addresses`,
          );
      }
    }
    return addresses;
  }
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );
}

/** A lookup that answers with the addresses already checked, whatever DNS would say now. */
function pinned(addresses: LookupAddress[]): LookupFunction {
  return (_host, options, callback) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  };
}

/**
 * One POST over a fresh connection (no pooled socket from an earlier answer) to the checked addresses.
 * TLS still verifies the certificate against the URL's host name. Resolves with the status alone.
 */
function post(
  url: URL,
  addresses: LookupAddress[],
  opts: { headers: Record<string, string>; body: string; signal: AbortSignal },
): Promise<{ status: number; location?: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...opts.headers, 'Content-Length': String(Buffer.byteLength(opts.body)) },
        agent: false,
        lookup: pinned(addresses),
        signal: opts.signal,
      },
      (res) => {
        const location = res.headers.location;
        // Only the status matters: the body is not read, however long the receiver would send it.
        res.on('error', () => undefined);
        res.destroy();
        resolve({ status: res.statusCode ?? 0, ...(location ? { location } : {}) });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The signal's reason, which is an Error unless the aborter passed something else. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}
