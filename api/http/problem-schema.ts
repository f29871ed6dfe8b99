import { z } from 'zod';

/** The problem+json bodies api/http/problem.ts writes, as the contract declares them. */
export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() });

const problemFields = {
  type: z.string().describe('A URI naming the problem kind: https://tributary.dev/problems/<code>'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().describe('What went wrong, in words a caller can act on'),
  code: z.string().describe('Stable machine-readable code, e.g. invalid_input, not_found, overloaded'),
  requestId: z.string().describe('Quote it when reporting a problem; also in the X-Request-Id header'),
  errors: z.array(FieldErrorSchema).optional().describe('One entry per offending field (400 and 409)'),
};

export const ProblemSchema = z.object(problemFields).meta({ id: 'Problem' });

/** A 413 also names the limit that was exceeded and its value. */
export const PayloadTooLargeProblemSchema = z
  .object({
    ...problemFields,
    limit: z.string().describe('The limit that was exceeded, e.g. maxBodyBytes or maxRecords'),
    limitValue: z.number().describe('Its configured value'),
  })
  .meta({ id: 'PayloadTooLargeProblem' });

/** A 422 from a warehouse binding check also names the step that failed. */
export const WarehouseCheckProblemSchema = z
  .object({
    ...problemFields,
    step: z
      .enum(['secret', 'connect', 'query'])
      .describe(
        'secret: reading the key from Secrets Manager; connect: logging in with it; query: SELECT CURRENT_ACCOUNT() in the session',
      ),
  })
  .meta({ id: 'WarehouseCheckProblem' });

export const PROBLEM_JSON = 'application/problem+json';
