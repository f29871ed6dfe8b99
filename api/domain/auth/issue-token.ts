import type { VerbArgs } from '../context.js';
import { InvalidInputError, UnauthenticatedError } from '../errors.js';
import { authenticateKey } from './authenticate.js';

/**
 * How long a client may reuse the token before asking again. The token is the key itself, so this does not
 * bound its validity (revocation acts on the next event); it only sets how often the client re-checks it here.
 */
export const TOKEN_LIFETIME_SECONDS = 3600;

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface IssueTokenInput {
  /** The grant_type form field. */
  grantType: string;
  /** From `Authorization: Basic`, when the client sent one (client_secret_basic). */
  basic: ClientCredentials | undefined;
  /** The client_id and client_secret form fields, when sent (client_secret_post). */
  form: Partial<ClientCredentials>;
}

export interface AccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/**
 * OAuth2 client_credentials (RFC 6749 4.4) for clients that cannot send a fixed header, such as Debezium
 * Server's HTTP sink: the client secret is a Tributary API key and the access token is that same key.
 * The caller already holds it, so echoing it discloses nothing and needs no token store; and since every
 * later request is authenticated with the key itself, revoking the key stops the client at once, whatever
 * expires_in said. Any key that authenticates gets its token: what it may do is decided on each request.
 * The verb is public (no principal): the client authentication here is what it checks.
 */
export async function issueAccessToken({ ctx, input }: VerbArgs<IssueTokenInput>): Promise<AccessToken> {
  if (input.grantType !== 'client_credentials') {
    throw new InvalidInputError(
      `grant_type '${input.grantType}' is not supported; use client_credentials.`,
      [{ path: 'body.grant_type', message: 'must be client_credentials' }],
      'unsupported_grant_type',
    );
  }
  if (input.basic && input.form.clientSecret !== undefined) {
    // RFC 6749 2.3: one authentication method per request.
    throw new InvalidInputError(
      'Send the client secret once: in the Basic Authorization header or as client_secret, not both.',
      [{ path: 'body.client_secret', message: 'sent as well as Authorization: Basic' }],
    );
  }
  const client =
    input.basic ??
    (input.form.clientSecret !== undefined
      ? { clientId: input.form.clientId ?? '', clientSecret: input.form.clientSecret }
      : undefined);
  if (!client) {
    throw new UnauthenticatedError(
      'No client authentication: send Authorization: Basic base64(client_id:client_secret), or the ' +
        'client_id and client_secret form fields. The client secret is a Tributary API key.',
    );
  }
  if (!client.clientId) {
    throw new InvalidInputError('client_id is required: any name, e.g. the key’s name or id.', [
      input.basic
        ? { path: 'header.Authorization', message: 'the Basic user (client_id) is empty' }
        : { path: 'body.client_id', message: 'is required with client_secret' },
    ]);
  }
  await authenticateKey(ctx.services, client.clientSecret);
  return { access_token: client.clientSecret, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS };
}
