import { describe, expect, it } from 'vitest';
import { daysToDate, microsToIso } from '../../../api/adapters/duckdb/values.js';

describe('DuckDB value conversion', () => {
  it('renders timestamps as UTC ISO strings, keeping microseconds only when present', () => {
    expect(microsToIso(1_767_225_600_123_000n)).toBe('2026-01-01T00:00:00.123Z');
    expect(microsToIso(1_767_225_600_123_456n)).toBe('2026-01-01T00:00:00.123456Z');
    expect(microsToIso(-1_500n)).toBe('1969-12-31T23:59:59.998500Z');
    expect(microsToIso(0n)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('renders dates as YYYY-MM-DD', () => {
    expect(daysToDate(0)).toBe('1970-01-01');
    expect(daysToDate(20_454)).toBe('2026-01-01');
    expect(daysToDate(-1)).toBe('1969-12-31');
  });
});
