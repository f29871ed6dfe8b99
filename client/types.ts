/**
 * The API's request and answer shapes. Imported type-only from the route definitions (erased at build, so
 * the SDK carries none of the server at run time), as web/src/types.ts does: the SDK cannot drift from them.
 */
import type { z } from 'zod';
import type { FieldError } from '../api/domain/errors.js';
import type { CreateKeyBody as CreateKeyBodySchema, CreateKeyResponse } from '../api/routes/keys/create.js';
import type { ListKeysResponse } from '../api/routes/keys/list.js';
import type { MeResponse } from '../api/routes/me/get.js';
import type { StreamMetricsResponse } from '../api/routes/monitoring/stream-metrics.js';
import type { IngestResponse } from '../api/routes/records/create.js';
import type { ListRecordsResponse } from '../api/routes/records/list.js';
import type { ReceiptResponse } from '../api/routes/records/receipt.js';
import type { ListRejectionsResponse } from '../api/routes/records/rejections.js';
import type { CreateStreamBody as CreateStreamBodySchema } from '../api/routes/streams/schemas.js';
import type { ListStreamsResponse } from '../api/routes/streams/list.js';
import type {
  DryRunResponse,
  UpdateStreamBody as UpdateStreamBodySchema,
} from '../api/routes/streams/update.js';
import type { ListVersionsResponse } from '../api/routes/streams/versions.js';
import type { CreateTenantResponse } from '../api/routes/tenants/create.js';
import type { ListTenantsResponse } from '../api/routes/tenants/list.js';

export type {
  CreateKeyResponse,
  CreateTenantResponse,
  DryRunResponse,
  FieldError,
  ListRecordsResponse,
  ListRejectionsResponse,
  ListVersionsResponse,
  MeResponse,
  StreamMetricsResponse,
};

/** The answer to `POST …/records` (200, and 422 when no record was accepted): the API's IngestResult. */
export type IngestResult = IngestResponse;
/** A stream as the API answers it. */
export type Stream = ListStreamsResponse['streams'][number];
/** The create request (`StreamSpec`), as sent: fields with server defaults may be left out. */
export type StreamSpec = z.input<typeof CreateStreamBodySchema>;
/** A schema evolution or settings change (PATCH). */
export type StreamPatch = z.input<typeof UpdateStreamBodySchema>;
export type CreateKeyBody = z.input<typeof CreateKeyBodySchema>;
export type ApiKey = ListKeysResponse['keys'][number];
export type Tenant = ListTenantsResponse['tenants'][number];
export type BatchReceipt = ReceiptResponse;
export type Layer = ListRecordsResponse['layer'];
export type Rejection = ListRejectionsResponse['rejections'][number];
/** One record's validation errors in an ingest answer. */
export type IngestError = IngestResult['errors'][number];
