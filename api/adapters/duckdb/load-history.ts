import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { LakeObject } from '../../ports.js';
import { LOAD_HISTORY } from './ddl.js';
import type { TenantDatabases } from './tenant-databases.js';
import { rowsAsJson } from './values.js';

/**
 * `_tributary.load_history`, one row per loaded lake object. It lives in the tenant database and is
 * written in the same transaction as the rows, which is what makes loading exactly-once.
 */

export async function historyHas(c: DuckDBConnection, keys: string[]): Promise<Set<string>> {
  const seen = await c.runAndReadAll(
    `SELECT "key" FROM ${LOAD_HISTORY} WHERE "key" IN (SELECT unnest($keys::VARCHAR[]))`,
    { keys: listValue(keys) },
  );
  return new Set(seen.getRows().map((row) => String(row[0])));
}

export interface HistoryEntry {
  obj: LakeObject;
  rows: number;
  failed?: number;
  failedBatches?: Record<string, number>;
}

export async function recordHistory(c: DuckDBConnection, entries: HistoryEntry[]): Promise<void> {
  await c.run(
    `INSERT INTO ${LOAD_HISTORY} ("key", "stream", "kind", "rows", "bytes", "loaded_at", "failed", "failed_batches")
     SELECT unnest($keys::VARCHAR[]), $stream, unnest($kinds::VARCHAR[]), unnest($rows::BIGINT[]), unnest($bytes::BIGINT[]), now(), unnest($failed::BIGINT[]), unnest($batches::VARCHAR[])`,
    {
      keys: listValue(entries.map((e) => e.obj.key)),
      stream: entries[0].obj.stream,
      kinds: listValue(entries.map((e) => e.obj.kind)),
      rows: listValue(entries.map((e) => BigInt(e.rows))),
      bytes: listValue(entries.map((e) => BigInt(e.obj.bytes))),
      failed: listValue(entries.map((e) => BigInt(e.failed ?? 0))),
      batches: listValue(entries.map((e) => (e.failedBatches ? JSON.stringify(e.failedBatches) : ''))),
    },
  );
}

export async function loadedKeys(databases: TenantDatabases, tenant: string): Promise<Set<string>> {
  if (!databases.exists(tenant)) return new Set();
  const reader = await databases.run(tenant, 'read load history', (c) =>
    c.runAndReadAll(`SELECT "key" FROM ${LOAD_HISTORY}`),
  );
  return new Set(reader.getRows().map((row) => String(row[0])));
}

export async function loadedAt(
  databases: TenantDatabases,
  tenant: string,
  keys: string[],
): Promise<Map<string, string>> {
  const rows = await history(databases, tenant, keys);
  return new Map(rows.map((row) => [String(row.key), String(row.loaded_at)]));
}

export async function loadFailures(
  databases: TenantDatabases,
  tenant: string,
  keys: string[],
): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  for (const row of await history(databases, tenant, keys)) {
    if (typeof row.failed_batches !== 'string') continue;
    try {
      out.set(String(row.key), JSON.parse(row.failed_batches) as Record<string, number>);
    } catch {
      // Written by this adapter as JSON; anything else is treated as no per-batch detail.
    }
  }
  return out;
}

async function history(
  databases: TenantDatabases,
  tenant: string,
  keys: string[],
): Promise<Record<string, unknown>[]> {
  if (keys.length === 0 || !databases.exists(tenant)) return [];
  const reader = await databases.run(tenant, 'read load history', (c) =>
    c.runAndReadAll(
      `SELECT "key", "loaded_at", "failed_batches" FROM ${LOAD_HISTORY} WHERE "key" IN (SELECT unnest($keys::VARCHAR[]))`,
      { keys: listValue(keys) },
    ),
  );
  return rowsAsJson(reader);
}
