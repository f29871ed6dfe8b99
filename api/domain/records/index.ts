export type * from './types.js';
export { DEFAULT_BODY_LIMITS, parseRecordsBody, type ParseRecordsBodyInput } from './parse-body.js';
export { createBatchIdGenerator, recordIdFromBatch, recordIdFromKey } from './ids.js';
export { RecentKeys, type RecentKeysOptions } from './recent-keys.js';
export { findJsonSyntaxProblem, type JsonSyntaxProblem } from './json-error.js';
