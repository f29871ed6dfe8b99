import type { Counter } from './metrics.js';
import type { Stream } from './types.js';

const POSITIONS = {
  lsn: 'PostgreSQL LSN',
  pos: 'MySQL binlog file, pos and row',
  ts_ms: 'source ts_ms',
} as const;

/** What the stream page says a change stream is; undefined for a stream of plain records. */
export function cdcKind(stream: Pick<Stream, 'cdc'>): string | undefined {
  const cdc = stream.cdc;
  if (!cdc) return undefined;
  const order = cdc.sourcePosition ? POSITIONS[cdc.sourcePosition] : 'LSN, else binlog position, else ts_ms';
  return `Debezium change events, in source order by ${order}`;
}

/** Per-op totals a change stream's page shows, in the order Debezium's snapshot then streaming emits them. */
export const CHANGE_TOTALS: ReadonlyArray<readonly [Counter, string]> = [
  ['cdcReads', 'Snapshot reads (r)'],
  ['cdcCreates', 'Creates (c)'],
  ['cdcUpdates', 'Updates (u)'],
  ['cdcDeletes', 'Deletes (d)'],
  ['cdcTombstones', 'Tombstones'],
];
