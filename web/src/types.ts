/** Shapes of the API's JSON answers, as the console reads them (see the API contract). */

// Types the API exports are imported, type-only (erased from the bundle), so the console cannot drift from it.
import type { Role } from '../../api/domain/keys/types.js';
import type { FieldError } from '../../api/domain/errors.js';
import type { ObjectSchema, PropertySchema } from '../../api/domain/schema/types.js';
import type { Layer, SchemaChange, StreamVersion } from '../../api/domain/streams/types.js';
import type { presentStream } from '../../api/domain/streams/present.js';
import type { Health } from '../../api/domain/monitoring/stream-metrics.js';
import type { LoadState } from '../../api/domain/monitoring/load-state.js';
import type { BatchReceipt } from '../../api/domain/records/types.js';
import type { MinutePoint } from '../../api/ports.js';
import type { MeResponse } from '../../api/routes/me/get.js';
import type { CreateStreamBody } from '../../api/routes/streams/create.js';
import type { DryRunResponse, UpdateStreamBody } from '../../api/routes/streams/update.js';

export type {
  BatchReceipt,
  FieldError,
  Health,
  LoadState,
  Layer,
  ObjectSchema,
  PropertySchema,
  Role,
  SchemaChange,
  StreamVersion,
};
export type Me = MeResponse;
export type DryRun = DryRunResponse;
export type MinuteMetrics = MinutePoint;

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  requestId?: string;
  errors?: FieldError[];
}

export interface Tenant {
  name: string;
  createdAt: string;
}

export interface CreatedTenant extends Tenant {
  key: { id: string; secret: string; role: 'admin' };
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  streams: string[];
  pii: boolean;
  createdAt: string;
  revokedAt?: string;
}

export interface CreatedKey extends ApiKey {
  secret: string;
}

/**
 * The create request (the API's `StreamSpec`). The API takes any JSON object as the schema and
 * validates it; the console sends only a schema its own first check accepted.
 */
export type StreamSpec = Omit<CreateStreamBody, 'schema'> & { schema: ObjectSchema };
/** A schema evolution request (PATCH), with a schema the console's first check accepted. */
export type StreamPatch = Omit<UpdateStreamBody, 'schema'> & { schema?: ObjectSchema };
/** A stream as the API answers it. */
export type Stream = ReturnType<typeof presentStream>;

export type RecordRow = Record<string, unknown> & {
  _id?: string;
  _batch_id?: string;
  _received_at?: string;
  _schema_version?: number;
};

export interface RecordsPage {
  layer: Layer;
  total: number;
  records: RecordRow[];
}

export interface Rejection {
  record: unknown;
  errors: FieldError[];
  /** validation: refused at ingest; load_failed: accepted, then refused by the warehouse. */
  reason: 'validation' | 'load_failed';
  receivedAt: string;
  batchId: string;
}

export interface Metrics {
  minutes: MinuteMetrics[];
  lastReceivedAt?: string;
  lastLoadedAt?: string;
  lagSeconds: number;
  oldestUnloadedAgeSeconds: number;
  health: Health;
  loadState: LoadState;
  loadStateDetail: string;
  lastLoadError?: { at: string; message: string };
}

export interface Alert {
  id: string;
  stream: string;
  rule: 'silence' | 'load_delay' | 'reconciliation' | 'load_errors' | 'load_stuck';
  state: 'firing' | 'resolved';
  message: string;
  firedAt: string;
  resolvedAt?: string;
}
