/**
 * The seams between the domain and the engines. Local mode and AWS mode differ only in which
 * implementations of these interfaces the composition root (api/server.ts, api/lambda.ts) picks.
 */
import type { ApiKey } from './domain/keys/types.js';
import type { Alert, AlertState } from './domain/monitoring/types.js';
import type { BatchReceipt, IngestResult, ObjectKind, Rejection } from './domain/records/types.js';
import type { Layer, Stream, StreamVersion } from './domain/streams/types.js';
import type { Tenant } from './domain/tenants/types.js';
import type { WarehouseBinding, WarehouseConnectionSpec } from './domain/tenants/warehouse-binding.js';

/** Tenants, keys and streams. Single-item conditional writes only (dynalite has no transactions). */
export interface Catalog {
  createTenant(tenant: Tenant): Promise<void>; // AlreadyExistsError
  getTenant(name: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  updateTenant(tenant: Tenant): Promise<void>;
  /** The tenant's own warehouse account, when it has one. */
  getWarehouseBinding(tenant: string): Promise<WarehouseBinding | undefined>;
  /** Replaces the tenant's binding. */
  putWarehouseBinding(binding: WarehouseBinding): Promise<void>;
  /** False when the tenant had none. */
  deleteWarehouseBinding(tenant: string): Promise<boolean>;

  createKey(key: ApiKey): Promise<void>;
  /** Key ids are globally unique. */
  getKey(id: string): Promise<ApiKey | undefined>;
  listKeys(tenant: string): Promise<ApiKey[]>;
  /** False when no such live key exists in the tenant. */
  revokeKey(tenant: string, id: string, at: string): Promise<boolean>;

  /** Writes the stream and its version 1. AlreadyExistsError on a duplicate name (deleted streams included). */
  createStream(stream: Stream, first: StreamVersion): Promise<void>;
  getStream(tenant: string, name: string): Promise<Stream | undefined>;
  listStreams(tenant: string): Promise<Stream[]>;
  /**
   * Replaces the stream if its stored revision is `expectedRevision` (ConcurrentModificationError otherwise).
   * `version` is written first when given, conditional on not existing.
   */
  updateStream(stream: Stream, expectedRevision: number, version?: StreamVersion): Promise<void>;
  listVersions(tenant: string, name: string): Promise<StreamVersion[]>;

  /** Cheap reachability check for /ready. */
  ping(): Promise<void>;
}

export interface IdempotencyRecord {
  tenant: string;
  stream: string;
  key: string;
  /** sha256 of the request body as received (before decompression), plus its content type. */
  fingerprint: string;
  state: 'pending' | 'done';
  /**
   * Random and unique to one claim. Every later write (complete, release, takeover) is conditioned on
   * it, so one request never overwrites or releases another request's claim. Absent on records written
   * before tokens existed.
   */
  token?: string;
  createdAt: string;
  /**
   * The batch id the claiming request stores its records under, fixed before anything is stored: when a
   * claim goes stale, the delivery's receipt for it tells whether the batch was stored after all.
   */
  batchId?: string;
  result?: { status: number; body: IngestResult };
  /**
   * Set by a store that knows the claim's request is gone: the local store marks every pending claim
   * it replays from its journal, since the process that made it died. A retry takes such a claim over
   * at once instead of waiting for it to go stale. Never stored; the DynamoDB store never sets it.
   */
  orphaned?: true;
}

export interface IdempotencyStore {
  /**
   * Claims the key with a conditional write (no live record under it); returns the record that holds
   * the key instead when there is one. The claim must be durable no later than the batch stored under
   * it (a retry after a crash must find it): the DynamoDB store's write is; the local store relies on
   * the local delivery storing the claim inside the batch's log entry (IngestBatch.claim).
   */
  claim(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
  /**
   * Replaces the pending claim `stale` with `next`, conditioned on `stale` (its token, still pending)
   * holding the key: of two requests taking over the same stale claim, exactly one wins. False when
   * the key is no longer held by `stale`.
   */
  takeOver(stale: IdempotencyRecord, next: IdempotencyRecord): Promise<boolean>;
  /** Stores the result, only while `record.token` holds the key; false when another claim holds it. */
  complete(record: IdempotencyRecord): Promise<boolean>;
  /** Drops our own pending claim (matched by token) when nothing was stored; anyone else's is left alone. */
  release(record: IdempotencyRecord): Promise<void>;
}

/** One accepted request on its way to the lake. Lines are serialized once, at ingest. */
export interface IngestBatch {
  tenant: string;
  stream: string;
  batchId: string;
  receivedAt: string;
  schemaVersion: number;
  buffering: { intervalSeconds: number; sizeMiB: number };
  /** NDJSON of LakeRecord, one newline-terminated line per accepted record (no line break inside a line). */
  records: Buffer;
  recordCount: number;
  /** NDJSON of QuarantineRecord, one line per rejected record. */
  rejects: Buffer;
  rejectCount: number;
  /**
   * The idempotency claim the batch is stored under, when its request carried an Idempotency-Key. A
   * delivery that keeps its own durable log may store it with the batch, which lets its idempotency
   * store skip making the claim durable on its own (see IdempotencyStore.claim).
   */
  claim?: BatchClaim;
}

/** What a stored batch carries of its idempotency claim: enough to restore the claim after a crash. */
export type BatchClaim = Pick<IdempotencyRecord, 'key' | 'fingerprint' | 'token' | 'createdAt'>;

/** Why loads fail: the data itself (salvaged), a resource such as memory or disk, or another dependency. */
export type LoadFailureKind = 'data' | 'resource' | 'dependency';

/** The longest-failing object of a stream that is not loading. */
export interface LoadFailure {
  /** ISO time of the object's first failed attempt. */
  since: string;
  /** Its consecutive failed attempts. */
  attempts: number;
  kind: LoadFailureKind;
  message: string;
  object: string;
}

export interface DeliveryStatus {
  /** ISO time of the oldest acknowledged record not yet loaded; undefined when caught up. */
  oldestUnloadedAt?: string;
  pendingRecords: number;
  lastDeliveredAt?: string;
  lastLoadedAt?: string;
  lastLoadError?: { at: string; message: string; object?: string };
  /** Set while an object of the stream keeps failing to load (local delivery). */
  loadFailure?: LoadFailure;
}

export interface Delivery {
  /**
   * Resolves only once the batch (accepted records and rejects) is durable.
   * Throws OverloadedError when buffers are past their limits, DependencyUnavailableError when the
   * downstream could not take it; in both cases nothing counts as acknowledged.
   */
  append(batch: IngestBatch): Promise<void>;
  receipt(tenant: string, stream: string, batchId: string): Promise<BatchReceipt | undefined>;
  status(tenant: string, stream: string): Promise<DeliveryStatus>;
  /**
   * Every stream with records not yet loaded or an object failing to load, with its status (for
   * /ready). Deliveries that cannot tell (Firehose: Snowpipe loads) leave it out.
   */
  backlog?(): Promise<Array<{ tenant: string; stream: string } & DeliveryStatus>>;
  /** For /ready: false when buffers are past their high watermark. */
  pressure(): { ok: boolean; detail: string };
  /**
   * Resolves when a new batch would be taken, waiting a bounded moment for buffers or the loader to
   * catch up; otherwise rejects with the OverloadedError `append` would throw. Ingest calls it before
   * reading the body. `append` still checks: this is an early answer, not a reservation.
   */
  admit(): Promise<void>;
  /** Flush every buffer and wait until everything acknowledged is delivered (and loaded, locally). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface LakeObject {
  tenant: string;
  stream: string;
  kind: ObjectKind;
  /** Lake-relative key, e.g. raw/tenant=t/stream=s/dt=2026-11-26/hour=12/<name>.ndjson.gz; never reused. */
  key: string;
  /** Absolute local path (local mode). */
  path: string;
  bytes: number;
  records: number;
}

export interface LoadedObject {
  key: string;
  rows: number;
  alreadyLoaded: boolean;
  /** Lines the warehouse refused, moved to quarantine with reason `load_failed` (salvaged objects only). */
  failed?: number;
  /** Those lines per batch id, as far as their batch id could be read. */
  failedBatches?: Record<string, number>;
}

/** The warehouse side that the local Snowpipe-style loader drives (DuckDB). */
export interface LoadTarget {
  /**
   * Loads a group of objects of one tenant and stream (raw and quarantine may be mixed) in one
   * transaction that also records them in the load history, so a crash or a duplicate notification
   * never loads one twice. All or nothing: any failure (a bad object, a row count that differs from
   * `records`) loads none of them. One result per object, in order: `records` rows, or 0 with
   * `alreadyLoaded` for keys the history already holds.
   */
  loadObjects(objs: LakeObject[], stream: Stream): Promise<LoadedObject[]>;
  /**
   * For one object that loadObjects refused with LoadDataError: loads every line the warehouse takes,
   * quarantines the others (reason `load_failed`), and records the object in the load history, all in
   * one transaction. Throws a dependency error (and quarantines nothing) when the warehouse cannot answer.
   */
  salvageObject?(obj: LakeObject, stream: Stream): Promise<LoadedObject>;
  /** Keys already in the tenant's load history (for the start-up refresh). */
  loadedKeys(tenant: string): Promise<Set<string>>;
  /** When each key was loaded (for receipts). */
  loadedAt(tenant: string, keys: string[]): Promise<Map<string, string>>;
  /** Lines quarantined per batch id when each key was salvaged (for receipts); keys without any are left out. */
  loadFailures?(tenant: string, keys: string[]): Promise<Map<string, Record<string, number>>>;
}

export interface PreviewResult {
  total: number;
  records: Record<string, unknown>[];
}

export interface Warehouse {
  /** Creates the raw table, quarantine table and layer views/tables. Idempotent. */
  createStream(stream: Stream): Promise<void>;
  /** The DDL that evolving `from` into `to` would run, without running it (dry runs). */
  planEvolution(from: Stream, to: Stream): string[] | Promise<string[]>;
  /** Runs that DDL. Must complete before any record of `to.version` is acknowledged. */
  evolveStream(from: Stream, to: Stream): Promise<void>;
  /** Newest first; each row has the record's fields plus _id, _batch_id, _received_at, _schema_version. */
  preview(stream: Stream, layer: Layer, limit: number): Promise<PreviewResult>;
  rejections(stream: Stream, limit: number): Promise<{ total: number; rejections: Rejection[] }>;
  /**
   * Rows of a batch in the raw layer. Warehouses loaded by someone else (Snowpipe) answer it, so a
   * receipt the delivery can only call 'delivered' becomes 'loaded' once every accepted row is there.
   */
  batchRows?(stream: Stream, batchId: string): Promise<number>;
  close(): Promise<void>;
}

export interface Counters {
  received: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  deliveredObjects: number;
  deliveredBytes: number;
  loadedRows: number;
  loadErrors: number;
  /** Accepted records the warehouse refused, moved to quarantine with reason `load_failed`. */
  loadFailed: number;
  /** cdc streams: accepted change events by op (c, u, d, r), and tombstones (accepted, not stored). */
  cdcCreates: number;
  cdcUpdates: number;
  cdcDeletes: number;
  cdcReads: number;
  cdcTombstones: number;
}

export interface MinutePoint extends Counters {
  /** Start of the minute, epoch ms. */
  minute: number;
}

/** Per-stream per-minute counters: aggregated in memory on the hot path, persisted periodically. */
export interface Metrics {
  add(tenant: string, stream: string, delta: Partial<Counters>, at?: number): void;
  series(tenant: string, stream: string, fromMs: number, toMs: number): Promise<MinutePoint[]>;
  /** Exact time of the last received record seen by this process, when known. */
  lastReceivedAt?(tenant: string, stream: string): number | undefined;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Where per-minute counters are persisted (DynamoDB in both modes). */
export interface MetricsStore {
  /** Adds each point's counters to what is stored for that minute (atomic ADD, one write per stream-minute). */
  addMinutes(tenant: string, stream: string, points: MinutePoint[]): Promise<void>;
  getMinutes(tenant: string, stream: string, fromMs: number, toMs: number): Promise<MinutePoint[]>;
}

/** Where alerts live. Single-item conditional writes only (dynalite has no transactions). */
export interface AlertStore {
  /**
   * Opens an episode. False when (stream, rule) already has a firing alert: at most one fires at a
   * time, even with several evaluators racing.
   */
  open(alert: Alert): Promise<boolean>;
  /** Marks a firing alert resolved. False when it was not firing (already resolved, or unknown). */
  resolve(alert: Alert & { resolvedAt: string }): Promise<boolean>;
  /** Records what the webhook receiver was told; independent of resolve so the two never overwrite each other. */
  markNotified(tenant: string, id: string, state: AlertState): Promise<void>;
  /** Every alert of the tenant, newest first. */
  list(tenant: string, filter?: { state?: AlertState }): Promise<Alert[]>;
  /** What an evaluator needs: firing alerts, and resolved ones whose receiver was last told "firing". */
  active(tenant: string): Promise<Alert[]>;
}

export type NotifyOutcome = 'sent' | 'failed' | 'no_webhook';

/** Tells a tenant about an alert. Never throws: a receiver that is down must not stop evaluation. */
export interface AlertNotifier {
  notify(tenant: string, alert: Alert, signal?: AbortSignal): Promise<NotifyOutcome>;
}

/** One file the warehouse loaded (or failed to), as Snowflake's COPY_HISTORY reports it. */
export interface LoadHistoryRow {
  kind: 'raw' | 'quarantine';
  file: string;
  loadedAt: string;
  rows: number;
  errors: number;
  status: string;
}

/** A batch with rows in a loaded raw file, and how many distinct rows of that batch raw holds in all. */
export interface FileBatch {
  file: string;
  batchId: string;
  rows: number;
}

/** The warehouse's own load history, where the warehouse loads the lake itself (Snowpipe). */
export interface LoadHistorySource {
  loadHistory(tenant: string, stream: string, since?: string): Promise<LoadHistoryRow[]>;
  /** The batches in these raw files (a lake object holds many), for receipts. */
  batchesInFiles?(tenant: string, stream: string, files: string[]): Promise<FileBatch[]>;
}

/** Receipts a warehouse loaded by someone else completes (AWS: Snowpipe), as the load poller learns of loads. */
export interface ReceiptLoads {
  /**
   * Sets the receipt's loadedAt, once: only when it exists, has none yet, and `rows` (the batch's
   * distinct rows in raw) covers its accepted records. True when it did.
   */
  markLoaded(
    tenant: string,
    stream: string,
    batchId: string,
    loadedAt: string,
    rows: number,
  ): Promise<boolean>;
}

/**
 * Checks a tenant's own warehouse connection before it is bound (AWS mode: Snowflake). Reads the key by
 * its ARN, logs in with it, then runs `SELECT CURRENT_ACCOUNT()`; nothing is kept open afterwards.
 */
export interface WarehouseBindingProbe {
  /**
   * The account locator Snowflake reports. WarehouseCheckError naming the step that failed (`secret`,
   * `connect`, `query`); DependencyUnavailableError when Secrets Manager itself could not answer.
   */
  check(spec: WarehouseConnectionSpec): Promise<{ currentAccount: string }>;
}

/** Secrets read by reference (Secrets Manager in AWS mode); the value is handed on, never stored or logged. */
export interface SecretReader {
  /**
   * The secret's string value. SecretUnusableError when it is missing, not readable by this service or
   * has no string value; DependencyUnavailableError when the service itself failed (retry later).
   */
  read(arn: string): Promise<string>;
}

/** Where the load-history poller remembers how far it has read, so no load is counted twice across invocations. */
export interface CursorStore {
  get(name: string): Promise<LoadCursor | undefined>;
  put(name: string, cursor: LoadCursor): Promise<void>;
}

/** Everything loaded before `at`, and the files loaded exactly at `at`, are already counted. */
export interface LoadCursor {
  at: string;
  files: string[];
}
