import { z } from 'zod';
import { defineRoute } from '../../http/route.js';

export const openApiRoute = defineRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'openApiDocument',
  summary: 'This OpenAPI document, as JSON',
  description:
    'Public: no key needed. The OpenAPI 3.1 document built from the route table the server runs (openapi.yaml ' +
    'in the repository is the same document).',
  tags: ['operations'],
  access: { kind: 'public' },
  responses: {
    200: {
      description: 'The OpenAPI 3.1 document',
      schema: z
        .object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }).loose() })
        .loose(),
    },
  },
  handler: ({ c }) => Promise.resolve(c.json(c.get('openapi')() as object)),
});
