import { z } from 'zod';
import { IDENTIFIER_PATTERN } from '../domain/identifiers.js';
import { FieldErrorSchema, ProblemSchema } from '../http/problem-schema.js';

export { FieldErrorSchema, ProblemSchema };

const name = (what: string) =>
  z.string().regex(IDENTIFIER_PATTERN, `${what} must match ${IDENTIFIER_PATTERN.source}`);

export const TenantName = name('tenant name');
export const StreamName = name('stream name');
export const TenantParams = z.object({ tenant: TenantName });
export const StreamParams = z.object({ tenant: TenantName, stream: StreamName });

/**
 * The auth errors of a tenant route, for routes that list them beside their own statuses. The document gets
 * them from the route's access anyway (api/http/implied-responses.ts), with the WWW-Authenticate header.
 */
export const authErrors = {
  401: {
    description: 'Missing, unknown or revoked key',
    schema: ProblemSchema,
    contentType: 'application/problem+json',
  },
  403: {
    description: 'The key lacks the right',
    schema: ProblemSchema,
    contentType: 'application/problem+json',
  },
  404: {
    description: 'Not found (or another tenant’s)',
    schema: ProblemSchema,
    contentType: 'application/problem+json',
  },
} as const;
export const badRequest = {
  400: {
    description: 'Invalid input; `errors` names each field',
    schema: ProblemSchema,
    contentType: 'application/problem+json',
  },
} as const;
