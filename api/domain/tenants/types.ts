export interface Tenant {
  name: string;
  createdAt: string;
  /** Alerts are POSTed here, signed with HMAC using webhookSecret. */
  webhook?: { url: string; secret: string };
}
