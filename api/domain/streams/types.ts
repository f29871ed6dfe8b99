import type { ObjectSchema } from '../schema/types.js';

export type Compatibility = 'BACKWARD' | 'FULL';
export type Layer = 'raw' | 'deduped' | 'entity';

/** Which `source` field orders a change stream: PostgreSQL's LSN, MySQL's binlog file+pos+row, or the commit time. */
export type SourcePosition = 'lsn' | 'pos' | 'ts_ms';
export const SOURCE_POSITIONS: readonly SourcePosition[] = ['lsn', 'pos', 'ts_ms'];

/**
 * A change data capture stream: each record is a Debezium change event, stored as its row image.
 * Without `sourcePosition`, each event is ordered by what its source block holds (lsn, else binlog
 * file/pos, else ts_ms); a stream holds one connector's events, so that is one kind throughout.
 */
export interface CdcSpec {
  format: 'debezium';
  sourcePosition?: SourcePosition;
}

export interface StreamSpec {
  description?: string;
  schema: ObjectSchema;
  dedupe?: { key: string[] };
  entity?: { key: string[]; orderBy?: string; deleteField?: string };
  piiFields: string[];
  clusterBy: string[];
  compatibility: Compatibility;
  freshness?: { maxSilenceMinutes: number; maxLoadDelayMinutes?: number };
  buffering: { intervalSeconds: number; sizeMiB: number };
  cdc?: CdcSpec;
}

/** What a new stream's spec takes for the hints it leaves out; built from the configuration. */
export interface StreamDefaults {
  buffering: StreamSpec['buffering'];
}

export interface Stream extends StreamSpec {
  tenant: string;
  name: string;
  /** Schema version, starting at 1; each compatible evolution adds one. */
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Set when deleted: ingest stops, data is kept. */
  deletedAt?: string;
  /** Optimistic-concurrency token for catalog writes; bumps on every write. */
  revision: number;
}

export interface StreamVersion {
  version: number;
  schema: ObjectSchema;
  createdAt: string;
  /** What changed from the previous version (empty for version 1). */
  changes: SchemaChange[];
}

export interface SchemaChange {
  field: string;
  change: string;
  from?: unknown;
  to?: unknown;
}
