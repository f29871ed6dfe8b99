import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Catalog } from '../ports.js';
import type { Alert } from './alert-store.js';
import type { AlertNotifier, NotifyOutcome } from './evaluator.js';

export const SIGNATURE_HEADER = 'X-Tributary-Signature';
export const TIMESTAMP_HEADER = 'X-Tributary-Timestamp';

/** `sha256=<hex>` over `<timestamp>.<body>`: the timestamp is signed so a captured request cannot be replayed later. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookOptions {
  catalog: Pick<Catalog, 'getTenant'>;
  logger: Logger;
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

/**
 * POSTs `{alert, tenant, sentAt}` to the tenant's webhook, signed with its secret. Retries network
 * errors, timeouts, 408, 429 and 5xx with exponential back-off; any other status is the receiver's final
 * answer. Redirects are not followed (the URL was registered by the tenant; a redirect could point anywhere).
 */
export class WebhookNotifier implements AlertNotifier {
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => Date;

  constructor(private readonly opts: WebhookOptions) {
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
        const res = await fetch(webhook.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'tributary-webhook/1',
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signWebhook(webhook.secret, timestamp, body),
          },
          body,
          redirect: 'manual',
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
          log.info({ attempt, status: res.status }, 'webhook delivered');
          return 'sent';
        }
        retry = res.status === 408 || res.status === 429 || res.status >= 500;
        detail = { status: res.status };
      } catch (err) {
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
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
