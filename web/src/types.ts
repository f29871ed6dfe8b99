/** Shapes of the API's JSON answers, as the console reads them (see the API contract). */

export type Role = 'admin' | 'producer' | 'consumer';
export type Layer = 'raw' | 'deduped' | 'entity';
export type Health = 'fresh' | 'stale' | 'failing' | 'idle';

export type Me =
  | { kind: 'platform' }
  | { kind: 'key'; tenant: string; keyId: string; name: string; role: Role; streams: string[]; pii: boolean };

export interface FieldError {
  path: string;
  message: string;
}

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

export interface PropertySchema {
  type: string | string[];
  description?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: PropertySchema;
}

export interface ObjectSchema {
  type: 'object';
  description?: string;
  properties: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
}

export interface StreamSpec {
  name: string;
  description?: string;
  schema: ObjectSchema;
  dedupe?: { key: string[] };
  entity?: { key: string[]; orderBy?: string; deleteField?: string };
  piiFields?: string[];
  clusterBy?: string[];
  compatibility?: 'BACKWARD' | 'FULL';
  freshness?: { maxSilenceMinutes: number; maxLoadDelayMinutes?: number };
  buffering?: { intervalSeconds: number; sizeMiB: number };
}

export interface Stream extends StreamSpec {
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface SchemaChange {
  field: string;
  change: string;
  from?: unknown;
  to?: unknown;
}

export interface DryRun {
  dryRun: true;
  compatible: boolean;
  fromVersion: number;
  toVersion: number;
  changes: SchemaChange[];
  violations: FieldError[];
  ddl: string[];
}

export interface StreamVersion {
  version: number;
  schema: ObjectSchema;
  createdAt: string;
  changes: SchemaChange[];
}

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
  receivedAt: string;
  batchId: string;
}

export interface BatchReceipt {
  batchId: string;
  receivedAt: string;
  accepted: number;
  rejected: number;
  state: 'buffered' | 'delivered' | 'loaded';
  objects: string[];
  loadedAt?: string;
}

export interface MinuteMetrics {
  minute: number;
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  deliveredObjects: number;
  deliveredBytes: number;
  loadedRows: number;
  loadErrors: number;
}

export interface Metrics {
  minutes: MinuteMetrics[];
  lastReceivedAt?: string;
  lastLoadedAt?: string;
  lagSeconds: number;
  health: Health;
  lastLoadError?: { at: string; message: string };
}

export interface Alert {
  id: string;
  stream: string;
  rule: 'silence' | 'load_delay' | 'reconciliation' | 'load_errors';
  state: 'firing' | 'resolved';
  message: string;
  firedAt: string;
  resolvedAt?: string;
}
