import {
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBResultReader,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';

const MS_PER_DAY = 86_400_000;

/** ISO-8601 in UTC; keeps microseconds only when there are any. */
export function microsToIso(micros: bigint): string {
  // Floor division, so instants before 1970 land on the right millisecond.
  let ms = micros / 1000n;
  let sub = micros % 1000n;
  if (sub < 0n) {
    sub += 1000n;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString();
  return sub === 0n ? iso : `${iso.slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
}

export function daysToDate(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Plain JSON for one DuckDB value of the given column type. */
export function toJson(value: DuckDBValue, type: DuckDBType): unknown {
  if (value === null) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'string') {
    return type.typeId === DuckDBTypeId.VARCHAR && type.alias === 'JSON'
      ? (JSON.parse(value) as unknown)
      : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue) {
    return value.isFinite ? microsToIso(value.micros) : value.toString();
  }
  if (value instanceof DuckDBDateValue) return value.isFinite ? daysToDate(value.days) : value.toString();
  return value.toString();
}

/** Every row of a fully read result as plain JSON objects keyed by column name. */
export function rowsAsJson(reader: DuckDBResultReader): Record<string, unknown>[] {
  const names = reader.columnNames();
  const types = reader.columnTypes();
  return reader.getRows().map((row) => {
    const out: Record<string, unknown> = {};
    row.forEach((value, i) => {
      out[names[i]] = toJson(value, types[i]);
    });
    return out;
  });
}
