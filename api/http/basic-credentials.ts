import { UnauthenticatedError } from '../domain/errors.js';

/**
 * The client credentials of `Authorization: Basic` (RFC 6749 2.3.1), or undefined without the header.
 * Any other scheme is a failed client authentication. The secret is everything after the last colon:
 * Debezium does not form-encode the client_id, which may then hold a colon, and no API key holds one.
 * Nor does a key hold a character form-encoding changes, so the secret needs no decoding either way.
 */
export function basicCredentials(
  authorization: string | undefined,
): { clientId: string; clientSecret: string } | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization);
  if (!m)
    throw new UnauthenticatedError(
      'The token endpoint takes Authorization: Basic base64(client_id:client_secret), or the ' +
        'credentials as form fields without an Authorization header.',
    );
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.lastIndexOf(':');
  if (colon < 0)
    throw new UnauthenticatedError('The Basic credentials must be base64(client_id:client_secret).');
  return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}
