import type { RecordSpans } from './json-scan.js';
import type { BlockSource } from './ndjson-block.js';
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
  /** The fields the schema declares (typed columns). */
  record: Record<string, unknown>;
  /** Undeclared fields, kept in the _extra JSON column; absent when there are none. */
  extra?: Record<string, unknown>;
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
  /** cdc streams only: null change events (tombstones), accepted and not stored. */
  tombstones?: number;
  /** The first errors only (see ingest-result.ts): the answer, and the stored replay, stay small. */
  errors: Array<{ index: number; path: string; message: string }>;
  /** Present (true) when `errors` lists only the first of them, or cut a long path or message. */
  errorsTruncated?: true;
  /** How many errors there were in all; present when `errors` was truncated. */
  errorsTotal?: number;
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
  /** Once loaded: accepted records of the batch the warehouse refused, quarantined with reason `load_failed`. */
  loadFailed?: number;
}

export interface Rejection {
  record: unknown;
  errors: FieldError[];
  /** `validation`: refused at ingest; `load_failed`: accepted, then refused by the warehouse (record is the line's text). */
  reason: 'validation' | 'load_failed';
  receivedAt: string;
  batchId: string;
  index: number;
}

/** Bounds on one ingest request body; each name is the limit a PayloadTooLargeError reports. */
export interface BodyLimits {
  /** Bytes as received on the wire (compressed, when gzip). */
  maxBodyBytes: number;
  /** Bytes after gzip decompression; stops a gzip bomb while it inflates. */
  maxDecompressedBytes: number;
  /** Bytes of one record's JSON text (an array element as written, or one NDJSON line). */
  maxRecordBytes: number;
  maxRecords: number;
  /** Nesting of objects and arrays inside one record (`{}` is depth 1). */
  maxDepth: number;
}

/** What the ingest verb may take on; the composition root builds it from the configuration. */
export interface IngestSettings {
  /** Every request body is parsed within these. */
  limits: BodyLimits;
  /** Ingest requests being processed at once before new ones get 429 (bounds memory under overload). */
  maxInFlight: number;
}

/** A request body taken apart into records. */
export interface ParsedRecordsBody {
  records: unknown[];
  /** Bytes as received (before decompression). */
  rawBytes: number;
  /** Hex sha256 of the bytes as received, for idempotency fingerprints ('' when not asked for). */
  sha256: string;
  /** The decompressed body the records were parsed from. */
  source: BlockSource;
  /** Where each record's text lies in `text`; undefined when the scan and the parse disagree. */
  spans?: RecordSpans;
}
