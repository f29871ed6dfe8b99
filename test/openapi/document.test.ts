import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../api/http/route.js';
import { buildOpenApi } from '../../api/openapi/document.js';

/** The generator's own rules, on small route tables. */
const route = (over: Partial<AnyRoute>): AnyRoute =>
  defineRoute({
    method: 'post',
    path: '/v1/things',
    operationId: 'makeThing',
    summary: 's',
    description: 'd',
    tags: ['records'],
    access: { kind: 'platform' },
    body: z.object({ name: z.string() }),
    responses: { 201: { description: 'Made' } },
    handler: async () => new Response(null, { status: 201 }),
    ...over,
  });

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
};
const responsesOf = (r: AnyRoute) =>
  (buildOpenApi([r], '0') as unknown as Doc).paths['/v1/things'].post.responses;

describe('buildOpenApi', () => {
  it('adds what the pipeline gives a platform route with a JSON body, and nothing it cannot give', () => {
    expect(Object.keys(responsesOf(route({})))).toEqual([
      '201',
      '400',
      '401',
      '403',
      '413',
      '415',
      '500',
      '503',
    ]);
  });

  it('refers to shared headers, and inlines one a response carries only sometimes', () => {
    const responses = responsesOf(
      route({
        responses: {
          201: { description: 'Made' },
          409: { description: 'Busy or taken', headers: [{ name: 'Retry-After', required: false }] },
        },
      }),
    );
    expect(responses['503'].headers).toEqual({
      'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
      'Retry-After': { $ref: '#/components/headers/Retry-After' },
    });
    expect(responses['409'].headers!['Retry-After']).toMatchObject({
      required: false,
      schema: { type: 'integer', minimum: 0 },
    });
  });

  it('refuses a tag the document does not list', () => {
    expect(() => buildOpenApi([route({ tags: ['misc'] })], '0')).toThrow(
      /tag misc is not in api\/openapi\/tags.ts/,
    );
  });
});
