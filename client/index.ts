/**
 * The Tributary SDK: `new Tributary({ url, key })` for the control plane and reads, `trb.producer({...})`
 * for batched, retried, spooled sending. Node 20+, ESM, no dependencies beyond Node itself.
 */
export { Tributary, type SendBatchOptions } from './tributary.js';
export { Producer } from './producer.js';
export { TributaryError, SpoolFullError, RecordTooLargeError, type ProblemFields } from './errors.js';
export type { TributaryOptions, Query, RequestOptions } from './http.js';
export type { RetryInfo } from './deliver.js';
export type { RetryPolicy } from './retry.js';
export type {
  AckedEvent,
  FailedEvent,
  ProducerCounts,
  ProducerEvents,
  ProducerOptions,
  RejectedEvent,
  RetryEvent,
  SpooledEvent,
  SpoolReason,
} from './producer-types.js';
export type * from './types.js';
