import type { FieldError } from '../errors.js';

/**
 * One accepted record as it travels through delivery (one NDJSON line in a lake object,
 * or one line inside a packed Firehose record). Serialized once, at ingest.
 */
export interface LakeRecord {
  _tenant: string;
  _stream: string;
  _id: string;
  /** Time-ordered and monotonic within a process, so (_batch_id, _index) is receive order. */
  _batch_id: string;
  _index: number;
  /** ISO-8601 with milliseconds. */
  _received_at: string;
  _schema_version: number;
  record: Record<string, unknown>;
}

/** One rejected record, kept with its errors under the quarantine prefix. */
export interface QuarantineRecord {
  _tenant: string;
  _stream: string;
  _batch_id: string;
  _index: number;
  _received_at: string;
  _schema_version: number;
  /** The record as received (may be any JSON value). */
  record: unknown;
  errors: FieldError[];
}

export type ObjectKind = 'raw' | 'quarantine';

/** The answer to an ingest request; stored for idempotent replays. */
export interface IngestResult {
  batchId: string;
  accepted: number;
  rejected: number;
  duplicates: number;
  errors: Array<{ index: number; path: string; message: string }>;
}

export interface BatchReceipt {
  batchId: string;
  receivedAt: string;
  accepted: number;
  rejected: number;
  state: 'buffered' | 'delivered' | 'loaded';
  /** Lake object keys (or Firehose RecordIds on AWS) holding the batch. */
  objects: string[];
  loadedAt?: string;
}

export interface Rejection {
  record: unknown;
  errors: FieldError[];
  receivedAt: string;
  batchId: string;
  index: number;
}
