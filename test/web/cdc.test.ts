import { describe, expect, it } from 'vitest';
import { COUNTER_FIELDS } from '../../api/domain/monitoring/counters.js';
import { CHANGE_TOTALS, cdcKind } from '../../web/src/cdc.js';

describe('cdcKind', () => {
  it('names the format and what orders the changes, and nothing for a plain stream', () => {
    expect(cdcKind({})).toBeUndefined();
    expect(cdcKind({ cdc: { format: 'debezium', sourcePosition: 'lsn' } })).toBe(
      'Debezium change events, in source order by PostgreSQL LSN',
    );
    expect(cdcKind({ cdc: { format: 'debezium', sourcePosition: 'pos' } })).toBe(
      'Debezium change events, in source order by MySQL binlog file, pos and row',
    );
    expect(cdcKind({ cdc: { format: 'debezium' } })).toBe(
      'Debezium change events, in source order by LSN, else binlog position, else ts_ms',
    );
  });

  it('shows every per-op counter the API keeps, once', () => {
    const shown = CHANGE_TOTALS.map(([k]) => k);
    expect(new Set(shown).size).toBe(shown.length);
    expect([...shown].sort()).toEqual(COUNTER_FIELDS.filter((f) => f.startsWith('cdc')).sort());
  });
});
