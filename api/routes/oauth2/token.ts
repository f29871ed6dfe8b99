import { z } from 'zod';
import { issueAccessToken } from '../../domain/auth/issue-token.js';
import { basicCredentials } from '../../http/basic-credentials.js';
import { readFormBody } from '../../http/form-body.js';
import { OAUTH_ERRORS, oauthProblemResponse } from '../../http/oauth-problem.js';
import { PayloadTooLargeProblemSchema, PROBLEM_JSON, ProblemSchema } from '../../http/problem-schema.js';
import { defineRoute } from '../../http/route.js';
import { parseOrThrow } from '../../http/zod-errors.js';

/** RFC 6749 4.4.2; other fields (audience, resource, …) are ignored, as RFC 6749 3.2 asks. */
export const TokenForm = z.object({
  grant_type: z.string().describe('client_credentials'),
  client_id: z
    .string()
    .optional()
    .describe('client_secret_post: any name for the client, e.g. the key’s name or id'),
  client_secret: z.string().optional().describe('client_secret_post: the Tributary API key'),
  scope: z
    .string()
    .optional()
    .describe('Accepted and ignored: the key’s own role and stream scope apply to every request'),
});

export const TokenResponse = z
  .object({
    access_token: z.string().describe('The API key itself: send it as Authorization: Bearer <access_token>'),
    token_type: z.literal('Bearer'),
    expires_in: z
      .number()
      .int()
      .describe('Seconds until the client should ask again; revoking the key stops the token at once'),
  })
  .meta({ id: 'AccessToken' });

const oauthMembers = {
  error: z.enum(OAUTH_ERRORS).describe('The RFC 6749 5.2 error code'),
  error_description: z.string().describe('The detail in printable ASCII (RFC 6749 5.2)'),
};
export const OAuthProblemSchema = ProblemSchema.extend(oauthMembers).meta({ id: 'OAuthProblem' });
const OAuthPayloadTooLargeProblemSchema = PayloadTooLargeProblemSchema.extend(oauthMembers).meta({
  id: 'OAuthPayloadTooLargeProblem',
});

const oauthProblem = (description: string) => ({
  description,
  schema: OAuthProblemSchema,
  contentType: PROBLEM_JSON,
});

export const tokenRoute = defineRoute({
  method: 'post',
  path: '/v1/oauth2/token',
  operationId: 'issueAccessToken',
  summary: 'OAuth2 client_credentials: exchange an API key for itself as a bearer token',
  description:
    'For clients that can authenticate only through an OAuth2 token endpoint, such as Debezium Server’s HTTP ' +
    'sink. The client secret is a Tributary API key; the client id is any name (e.g. the key’s name or id). ' +
    'Send them as Authorization: Basic base64(client_id:client_secret) (client_secret_basic) or as the ' +
    'client_id and client_secret form fields (client_secret_post), never both. The access token is the key ' +
    'itself: no token is stored, and revoking the key stops the client on its next request. Errors are ' +
    'problem+json with the RFC 6749 `error` and `error_description` added: 400 invalid_request (naming the ' +
    'field) or unsupported_grant_type, 401 invalid_client (with WWW-Authenticate: Basic when the ' +
    'Authorization header was used).',
  tags: ['keys'],
  access: { kind: 'public' },
  rawBody: {
    contentTypes: ['application/x-www-form-urlencoded'],
    description: 'grant_type=client_credentials, and the client credentials unless sent as Basic',
    schema: TokenForm,
  },
  responses: {
    200: {
      description: 'The access token (the key), not to be cached',
      schema: TokenResponse,
      headers: ['Cache-Control', 'Pragma'],
    },
    400: oauthProblem(
      'invalid_request (a missing or repeated field, both client authentication methods, an empty ' +
        'client_id; `errors` names the field) or unsupported_grant_type',
    ),
    401: {
      ...oauthProblem('invalid_client: no client authentication, an unknown or revoked key, or a bad header'),
      headers: [{ name: 'WWW-Authenticate', required: false }],
    },
    413: {
      description: 'invalid_request: the body exceeds the control-plane limit; `limit` names it',
      schema: OAuthPayloadTooLargeProblemSchema,
      contentType: PROBLEM_JSON,
    },
    415: oauthProblem('invalid_request: Content-Type is not application/x-www-form-urlencoded'),
    503: {
      description: 'The catalog is unavailable; retry after Retry-After seconds',
      schema: ProblemSchema,
      contentType: PROBLEM_JSON,
      headers: ['Retry-After'],
    },
  },
  handler: async ({ c, ctx }) => {
    const authorization = c.req.header('authorization');
    try {
      const form = parseOrThrow(TokenForm, await readFormBody(c.req.raw), 'body');
      const token = await issueAccessToken({
        ctx,
        input: {
          grantType: form.grant_type,
          basic: basicCredentials(authorization),
          form: { clientId: form.client_id, clientSecret: form.client_secret },
        },
      });
      return c.json(token, 200, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    } catch (err) {
      const res = oauthProblemResponse(err, ctx.requestId, authorization !== undefined);
      if (!res) throw err;
      ctx.services.logger.debug(
        { requestId: ctx.requestId, path: c.req.path, status: res.status },
        'token request rejected',
      );
      return res;
    }
  },
});
