import {
  InvalidInputError,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
} from '../domain/errors.js';
import { toProblemResponse, type Problem } from './problem.js';

/** The RFC 6749 5.2 error codes the token endpoint gives. */
export const OAUTH_ERRORS = ['invalid_request', 'invalid_client', 'unsupported_grant_type'] as const;
export type OAuthError = (typeof OAUTH_ERRORS)[number];

function oauthErrorOf(err: unknown): OAuthError | undefined {
  if (err instanceof UnauthenticatedError) return 'invalid_client';
  if (err instanceof InvalidInputError)
    return err.code === 'unsupported_grant_type' ? 'unsupported_grant_type' : 'invalid_request';
  if (err instanceof PayloadTooLargeError || err instanceof UnsupportedMediaTypeError)
    return 'invalid_request';
  return undefined;
}

/** RFC 6749 5.2 allows error_description printable ASCII only, without '"' and '\'. */
const asErrorDescription = (detail: string) =>
  detail
    .replace(/["\\\u2018\u2019]/g, "'")
    .replace(/[^\x20-\x7e]/g, '')
    .trim();

/**
 * A token-endpoint failure as our problem+json with the RFC 6749 5.2 members added, so an OAuth2 client
 * reads `error` and everyone else the usual problem. A 401 names Basic in WWW-Authenticate when the client
 * tried the Authorization header (RFC 6749 5.2), and no scheme otherwise: Bearer is not what it should
 * send here. Undefined for what is no client error (503, 500): the app's usual handling applies.
 */
export function oauthProblemResponse(
  err: unknown,
  requestId: string,
  authorizationSent: boolean,
): Response | undefined {
  const error = oauthErrorOf(err);
  if (!error) return undefined;
  const out = toProblemResponse(err, requestId);
  const problem = out.body as Problem;
  const body = { ...problem, error, error_description: asErrorDescription(problem.detail) };
  const headers: Record<string, string> = { ...out.headers, 'Content-Type': out.contentType };
  delete headers['WWW-Authenticate'];
  if (error === 'invalid_client' && authorizationSent)
    headers['WWW-Authenticate'] = 'Basic realm="tributary"';
  return new Response(JSON.stringify(body), { status: out.status, headers });
}
