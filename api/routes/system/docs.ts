import { z } from 'zod';
import { defineRoute } from '../../http/route.js';
import { DOCS_HTML } from '../../openapi/docs-page.js';

export const docsRoute = defineRoute({
  method: 'get',
  path: '/docs',
  operationId: 'apiReference',
  summary: 'The API reference page',
  description:
    'Public: no key needed. A self-contained HTML page that renders /openapi.json; no CDN, so it works offline.',
  tags: ['operations'],
  access: { kind: 'public' },
  responses: { 200: { description: 'An HTML page', schema: z.string(), contentType: 'text/html' } },
  handler: ({ c }) => Promise.resolve(c.html(DOCS_HTML)),
});
