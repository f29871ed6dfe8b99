import type { TributaryError } from './errors.js';
import type { RetryPolicy } from './retry.js';
import type { IngestError } from './types.js';

export interface ProducerOptions {
  tenant: string;
  stream: string;
  /** A batch is sent once it holds this many records. Default 500 (the API takes up to 10,000). */
  maxBatchRecords?: number;
  /** … or this many bytes of records as JSON, plus a byte each (before gzip). Default 1,000,000 (the API takes 4 MiB). */
  maxBatchBytes?: number;
  /** … or once its first record has waited this long. Default 50 ms. */
  lingerMs?: number;
  /** Gzip batch bodies of at least `gzipMinBytes`. Default true. */
  gzip?: boolean;
  /** Default 16 KiB: smaller bodies gain little. */
  gzipMinBytes?: number;
  /** zlib level 1-9. Default 3. */
  gzipLevel?: number;
  /** Bytes of records queued or in flight; send() waits while the next record would pass it. Default 32 MiB. */
  maxQueueBytes?: number;
  /** Batches in flight at once. Default 4. */
  maxInFlight?: number;
  /** Where batches the API cannot take are kept ("write locally, sync later"). Off when not set. */
  spoolDir?: string;
  /** Bytes the spool may hold. Default 1 GiB. */
  maxSpoolBytes?: number;
  /** Spool segment file size. Default 16 MiB. */
  spoolSegmentBytes?: number;
  /**
   * How long a batch is retried before it is spooled (with spoolDir; default 30 s) or given up and reported
   * as 'failed' (without; default 5 min).
   */
  deliveryTimeoutMs?: number;
  /** Close (flush, spool what cannot be sent) on SIGTERM and SIGINT, then let the signal take its course. */
  closeOnSignals?: boolean;
  /** Names this producer in its Idempotency-Keys (`<producerId>.<run>.<seq>`). Default: random. */
  producerId?: string;
  /** Backoff between retries. */
  retry?: RetryPolicy;
  /** All or nothing per batch (`?atomic=true`): a batch with one invalid record stores nothing. */
  atomic?: boolean;
}

/** Running totals, in records unless named otherwise. */
export interface ProducerCounts {
  /** Taken by send(). */
  queued: number;
  /** Batches cut from the queue. */
  batches: number;
  /** Stored by the API. */
  acked: number;
  /** Refused by the API's validation (see the 'rejected' event). */
  rejected: number;
  /** Acked records whose dedupe key the API had seen recently (a hint, not a guarantee). */
  duplicates: number;
  /** Given up: a non-retryable answer, the delivery timeout without a spool, or a full spool at close. */
  failed: number;
  /** Retries of a batch (each one counts once). */
  retries: number;
  /** Written to the spool. */
  spooled: number;
  /** Spooled records the API has since answered (acked or rejected). */
  replayed: number;
}

export type SpoolReason = 'deadline' | 'unreachable' | 'closing';

interface WithCounts {
  counts: Readonly<ProducerCounts>;
}

export interface AckedEvent extends WithCounts {
  batchId: string;
  idempotencyKey: string;
  records: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** The batch came from the spool. */
  fromSpool: boolean;
}

/**
 * One record the API refused, with its errors. The API lists the first 100 errors of a batch, so a batch
 * with more invalid records yields events for those only; AckedEvent.rejected counts them all.
 */
export interface RejectedEvent extends WithCounts {
  record: unknown;
  /** Its place in the batch. */
  index: number;
  errors: Omit<IngestError, 'index'>[];
  batchId: string;
}

export interface RetryEvent extends WithCounts {
  idempotencyKey: string;
  attempt: number;
  delayMs: number;
  error: TributaryError;
  records: number;
  fromSpool: boolean;
}

export interface SpooledEvent extends WithCounts {
  idempotencyKey: string;
  records: number;
  bytes: number;
  /** deadline: retried past deliveryTimeoutMs; unreachable: the API was already failing; closing: close(). */
  reason: SpoolReason;
  /** What the spool holds now. */
  spoolBytes: number;
}

export interface FailedEvent extends WithCounts {
  idempotencyKey: string;
  /** The batch's records, so they can be kept elsewhere. */
  records: unknown[];
  error: Error;
  fromSpool: boolean;
}

export interface ProducerEvents {
  acked: [AckedEvent];
  rejected: [RejectedEvent];
  retry: [RetryEvent];
  spooled: [SpooledEvent];
  failed: [FailedEvent];
}
