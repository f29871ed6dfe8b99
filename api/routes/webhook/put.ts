import { z } from 'zod';
import { setWebhook } from '../../domain/monitoring/alerts.js';
import { defineRoute } from '../../http/route.js';
import { TenantParams, authErrors, badRequest } from '../params.js';

export const PutWebhookBody = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }).max(2048),
    secret: z.string().min(16).max(256).optional().describe('HMAC key; generated when absent'),
  })
  .strict();
export const WebhookResponse = z.object({
  url: z.string(),
  secret: z
    .string()
    .describe('Shown once: alerts carry X-Tributary-Signature = sha256=HMAC(secret, timestamp + "." + body)'),
});
export type PutWebhookBody = z.infer<typeof PutWebhookBody>;
export type WebhookResponse = z.infer<typeof WebhookResponse>;

export const putWebhookRoute = defineRoute({
  method: 'put',
  path: '/v1/tenants/{tenant}/webhook',
  operationId: 'putWebhook',
  summary: 'Set the URL alerts are POSTed to; the signing secret is shown once',
  description:
    'Tenant admin keys only. Replaces the tenant’s webhook; the HMAC secret (given or generated) is in this ' +
    'answer only. 400 when the URL is not http(s) or the secret is shorter than 16 characters. ' +
    'The URL must be public: loopback, private, link-local, unique-local and other internal addresses are ' +
    'refused with 400 naming `url` (unless the server runs with TRIBUTARY_WEBHOOK_ALLOW_PRIVATE=true, for ' +
    'local testing), and a host name is resolved and checked again each time an alert is sent. Redirects ' +
    'are not followed. In AWS mode the URL must be https.',

  tags: ['monitoring'],
  access: { kind: 'tenant', action: 'manage', stream: false },
  params: TenantParams,
  body: PutWebhookBody,
  responses: { 200: { description: 'Set', schema: WebhookResponse }, ...badRequest, ...authErrors },
  handler: async ({ c, ctx, params, body }) =>
    c.json(
      await setWebhook({
        ctx,
        input: { tenant: params.tenant, url: body.url, ...(body.secret ? { secret: body.secret } : {}) },
      }),
    ),
});
