import type { Services } from '../../services.js';
import { UnauthenticatedError } from '../errors.js';
import type { Principal } from '../keys/types.js';
import { hashSecret, parseToken, sameHash } from './secrets.js';

/** Resolves a bearer token to a principal, or throws UnauthenticatedError (401). */
export async function authenticate(
  services: Services,
  authorization: string | undefined,
): Promise<Principal> {
  if (!authorization)
    throw new UnauthenticatedError('Missing Authorization header: send "Authorization: Bearer <key>".');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw new UnauthenticatedError('Authorization header must be "Bearer <key>".');
  return authenticateKey(services, m[1]);
}

/**
 * Resolves an API key (a tenant key or the platform admin key) to a principal, or throws
 * UnauthenticatedError. The one check every way of presenting a key goes through.
 */
export async function authenticateKey(services: Services, token: string): Promise<Principal> {
  const parsed = parseToken(token);
  // A token naming an existing key is checked against that key alone: one hash per request.
  const key = parsed ? await services.catalog.getKey(parsed.id) : undefined;
  if (parsed && key) {
    if (key.revokedAt || !sameHash(hashSecret(parsed.secret), key.hash))
      throw new UnauthenticatedError('Unknown or revoked API key.');
    return { kind: 'key', key };
  }
  if (sameHash(hashSecret(token), services.adminKeyHash)) return { kind: 'platform' };
  throw new UnauthenticatedError('Unknown or revoked API key.');
}
