import type { Services } from '../../services.js';
import { createBatchIdGenerator } from './ids.js';
import { RecentKeys } from './recent-keys.js';
import { ValidatorCache } from './validators.js';

/** The ingest verb's per-process state: batch ids, recent dedupe keys, compiled validators, load gauge. */
export function newIngestState(now: () => number = Date.now): Services['ingest'] {
  return {
    nextBatchId: createBatchIdGenerator(now),
    recentKeys: new RecentKeys(),
    validators: new ValidatorCache(),
    inFlight: { count: 0 },
  };
}
