import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Keys look like trb_<id>_<secret> so secret scanners can spot them. Only sha256(secret) is stored:
 * secrets are 256 random bits, so a slow hash buys nothing and would cost every request.
 */
const KEY_PATTERN = /^trb_([a-z0-9]{20})_([A-Za-z0-9_-]{43})$/;

export function hashSecret(secret: string): string {
  // The one-shot hash: this runs on every request, and a Hash object costs several times more.
  return hash('sha256', secret, 'hex');
}

export function newKeyMaterial(): { id: string; secret: string; token: string; hash: string } {
  const id = randomBytes(10).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `trb_${id}_${secret}`, hash: hashSecret(secret) };
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(token);
  return m ? { id: m[1], secret: m[2] } : undefined;
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function newAdminKey(): string {
  return `trb_platform_${randomBytes(32).toString('base64url')}`;
}
