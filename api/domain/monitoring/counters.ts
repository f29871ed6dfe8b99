import type { Counters } from '../../ports.js';

/** Every counter, in the order they are stored and shown. */
export const COUNTER_FIELDS: readonly (keyof Counters)[] = [
  'received',
  'accepted',
  'rejected',
  'duplicates',
  'deliveredObjects',
  'deliveredBytes',
  'loadedRows',
  'loadErrors',
  'loadFailed',
];

export function emptyCounters(): Counters {
  return {
    received: 0,
    accepted: 0,
    rejected: 0,
    duplicates: 0,
    deliveredObjects: 0,
    deliveredBytes: 0,
    loadedRows: 0,
    loadErrors: 0,
    loadFailed: 0,
  };
}
