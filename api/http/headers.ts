/**
 * Response headers the app sets outside the route schemas. The OpenAPI document declares each once
 * (components/headers) and every response names the ones it carries; where a header appears it is
 * either always there (`required`) or only sometimes, the same on every response that names it.
 */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description:
      'The request id: the caller’s X-Request-Id when it matches ^[A-Za-z0-9._:-]{1,64}$, else a new UUID',
    required: true,
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  'WWW-Authenticate': {
    description:
      'The authentication scheme to use: Bearer realm="tributary"; Basic realm="tributary" from the OAuth2 token endpoint',
    required: true,
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: 'no-store: the answer holds a credential (RFC 6749 5.1)',
    required: true,
    schema: { type: 'string', enum: ['no-store'] as string[] },
  },
  Pragma: {
    description: 'no-cache, for HTTP/1.0 caches (RFC 6749 5.1)',
    required: true,
    schema: { type: 'string', enum: ['no-cache'] as string[] },
  },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    required: false,
    schema: { type: 'string', enum: ['true'] as string[] },
  },
} satisfies Record<string, { description: string; required: boolean; schema: Record<string, unknown> }>;

export type ResponseHeaderName = keyof typeof RESPONSE_HEADERS;

/**
 * A header a response carries: its name (present as RESPONSE_HEADERS says), or the name with `required`
 * for a response that carries it only sometimes, e.g. a 409 whose one cause sets Retry-After and another not.
 */
export type ResponseHeaderUse = ResponseHeaderName | { name: ResponseHeaderName; required: boolean };

export const headerName = (use: ResponseHeaderUse): ResponseHeaderName =>
  typeof use === 'string' ? use : use.name;
