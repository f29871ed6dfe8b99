import { z } from 'zod';

const name = (what: string) =>
  z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, `${what} must match ^[a-z][a-z0-9_]{0,62}$`);

export const TenantName = name('tenant name');
export const StreamName = name('stream name');
export const TenantParams = z.object({ tenant: TenantName });
export const StreamParams = z.object({ tenant: TenantName, stream: StreamName });

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() });
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string(),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .meta({ id: 'Problem' });

/** Standard error responses every authenticated route can give. */
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
