import type { Counters } from '../../ports.js';
import type { ChangeCounts } from '../records/debezium.js';

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
  'cdcCreates',
  'cdcUpdates',
  'cdcDeletes',
  'cdcReads',
  'cdcTombstones',
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
    cdcCreates: 0,
    cdcUpdates: 0,
    cdcDeletes: 0,
    cdcReads: 0,
    cdcTombstones: 0,
  };
}

/** One request's change events as counter deltas. */
export function changeCounters(c: ChangeCounts): Partial<Counters> {
  return { cdcCreates: c.c, cdcUpdates: c.u, cdcDeletes: c.d, cdcReads: c.r, cdcTombstones: c.tombstones };
}
