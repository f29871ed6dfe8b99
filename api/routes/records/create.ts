import type { ResponseHeaderUse } from '../../http/headers.js';
import { z } from 'zod';
import { ingestRecords } from '../../domain/records/ingest.js';
import { defineRoute } from '../../http/route.js';
import { PayloadTooLargeProblemSchema } from '../../http/problem-schema.js';
import { ProblemSchema, StreamParams, authErrors, badRequest } from '../params.js';

export const IngestQuery = z.object({ atomic: z.enum(['true', 'false']).optional() });
export const IngestResponse = z
  .object({
    batchId: z.string(),
    accepted: z.number().int(),
    rejected: z.number().int(),
    duplicates: z.number().int(),
    tombstones: z
      .number()
      .int()
      .optional()
      .describe('cdc streams only: change events with a null value (tombstones), accepted and not stored'),
    errors: z
      .array(z.object({ index: z.number().int(), path: z.string(), message: z.string() }))
      .describe('The first errors: at most 100, each path and message cut to 1024 characters, 64 KiB in all'),
    errorsTruncated: z
      .literal(true)
      .optional()
      .describe('Present when `errors` lists only some of the errors or cut a long path or message'),
    errorsTotal: z.number().int().optional().describe('How many errors there were; present when truncated'),
  })
  .meta({ id: 'IngestResult' });
export type IngestResponse = z.infer<typeof IngestResponse>;

/**
 * On the Node server, read the request stream directly: building a web Request and ReadableStream for
 * every ingest call costs ~9% of the hot path. Elsewhere (Lambda, tests) the web body is used.
 */
function nodeRequestBody(env: unknown): AsyncIterable<Uint8Array> | undefined {
  const incoming = (env as { incoming?: unknown } | undefined)?.incoming;
  return incoming && typeof (incoming as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function'
    ? (incoming as AsyncIterable<Uint8Array>)
    : undefined;
}

const problemOf = (description: string, headers?: ResponseHeaderUse[]) => ({
  description,
  schema: ProblemSchema,
  contentType: 'application/problem+json',
  ...(headers ? { headers } : {}),
});

export const ingestRoute = defineRoute({
  method: 'post',
  path: '/v1/tenants/{tenant}/streams/{stream}/records',
  operationId: 'ingestRecords',
  summary: 'Send records; answered only after they are durably stored',
  description:
    'Body: a JSON array, {"records": [...]}, or NDJSON (application/x-ndjson); Content-Encoding: gzip accepted. ' +
    'A cdc stream also takes one change event (or null) as the whole JSON body. ' +
    'Each record is validated against the current schema; rejects are quarantined. Idempotency-Key makes retries safe for 24 h: ' +
    'a retry gets the first answer again (Idempotent-Replayed: true), a retry while the first request is still ' +
    'in progress gets 409 with Retry-After. Every answer lists at most the first 100 errors. ' +
    'Admin keys, and producer keys scoped to the stream. 200 once the accepted records and the quarantined rejects are ' +
    'durably stored; 422 (same body) when none was accepted or an atomic batch had a reject. 413 names the limit; ' +
    '429 and 503 carry Retry-After and mean nothing was acknowledged.',
  tags: ['records'],
  access: { kind: 'tenant', action: 'produce', stream: true },
  params: StreamParams,
  query: IngestQuery,
  rawBody: {
    contentTypes: ['application/json', 'application/x-ndjson'],
    description: 'Records as a JSON array, {"records": [...]}, or NDJSON',
  },
  headers: [
    {
      name: 'Idempotency-Key',
      description:
        'Makes a retry safe: the same key with the same body answers the stored result (Idempotent-Replayed: true) ' +
        'and stores nothing again; with a different body, 409. Kept at least 24 h per stream.',
      required: false,
      // The verb checks it (400 naming header.Idempotency-Key); this declares the same pattern.
      schema: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
    },
    {
      name: 'Content-Encoding',
      description:
        'gzip (x-gzip), or identity (the default); the decompressed size is limited while decompressing. Others: 415.',
      required: false,
      schema: z.enum(['gzip', 'x-gzip', 'identity']),
    },
  ],
  responses: {
    200: {
      description: 'At least one record accepted and durably stored',
      schema: IngestResponse,
      headers: ['Idempotent-Replayed'],
    },
    ...badRequest,
    ...authErrors,
    409: problemOf(
      'Idempotency-Key reused with a different body (`idempotency_conflict`), a request with the same ' +
        'Idempotency-Key still in progress (`idempotency_in_progress`, retry after Retry-After seconds), ' +
        'or the stream was deleted',
      [{ name: 'Retry-After', required: false }],
    ),
    413: {
      description: 'A size limit was exceeded; `limit` names it',
      schema: PayloadTooLargeProblemSchema,
      contentType: 'application/problem+json',
    },
    415: problemOf('Unsupported Content-Type or Content-Encoding'),
    422: {
      description: 'No record accepted (or an atomic batch had a reject); same body as 200',
      schema: IngestResponse,
      headers: ['Idempotent-Replayed'],
    },
    429: problemOf('Buffers are full; retry after Retry-After seconds', ['Retry-After']),
    503: problemOf('Downstream unavailable; nothing was acknowledged; retry after Retry-After seconds', [
      'Retry-After',
    ]),
  },
  handler: async ({ c, ctx, params, query }) => {
    const outcome = await ingestRecords({
      ctx,
      input: {
        tenant: params.tenant,
        stream: params.stream,
        atomic: query.atomic === 'true',
        idempotencyKey: c.req.header('idempotency-key'),
        body: nodeRequestBody(c.env) ?? c.req.raw.body,
        contentType: c.req.header('content-type'),
        contentEncoding: c.req.header('content-encoding'),
        contentLength: c.req.header('content-length'),
      },
    });
    if (outcome.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(outcome.body, outcome.status);
  },
});
