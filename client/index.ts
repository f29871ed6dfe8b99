/**
 * The Tributary SDK: `new Tributary({ url, key })` for the control plane and reads, and `trb.sendBatch`
 * for one batch with retries. Node 20+, ESM, no dependencies beyond Node itself.
 */
export { Tributary, type SendBatchOptions } from './tributary.js';
export { TributaryError, SpoolFullError, type ProblemFields } from './errors.js';
export type { TributaryOptions, Query, RequestOptions } from './http.js';
export type { RetryInfo } from './deliver.js';
export type { RetryPolicy } from './retry.js';
export type * from './types.js';
