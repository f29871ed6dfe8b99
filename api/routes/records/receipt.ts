import { z } from 'zod';
import { getReceipt } from '../../domain/records/read.js';
import { defineRoute } from '../../http/route.js';
import { StreamName, TenantName, authErrors } from '../params.js';

export const ReceiptParams = z.object({
  tenant: TenantName,
  stream: StreamName,
  batchId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'batchId must be a 26-character batch id'),
});
export const ReceiptResponse = z.object({
  batchId: z.string(),
  receivedAt: z.string(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  state: z.enum(['buffered', 'delivered', 'loaded']),
  objects: z.array(z.string()),
  loadedAt: z.string().optional(),
  loadFailed: z
    .number()
    .int()
    .optional()
    .describe(
      "Once loaded (local mode): the batch's accepted records the warehouse refused, now in the stream's rejections with reason load_failed",
    ),
});
export type ReceiptResponse = z.infer<typeof ReceiptResponse>;

export const receiptRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/streams/{stream}/batches/{batchId}',
  operationId: 'getBatchReceipt',
  summary: 'Follow a batch end to end: buffered, delivered, loaded',
  description:
    'Admin keys, and consumer keys scoped to the stream. The batchId is in the ingest answer. 404 when the ' +
    'stream has no such batch; 400 when batchId is not a 26-character batch id.',
  tags: ['records'],
  access: { kind: 'tenant', action: 'read', stream: true },
  params: ReceiptParams,
  responses: { 200: { description: 'Receipt', schema: ReceiptResponse }, ...authErrors },
  handler: async ({ c, ctx, params }) => c.json(await getReceipt({ ctx, input: params })),
});
