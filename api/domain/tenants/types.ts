export interface Tenant {
  name: string;
  createdAt: string;
  /** Alerts are POSTed here, signed with HMAC using webhookSecret. */
  webhook?: { url: string; secret: string };
}

export const TENANT_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
