import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LakeRecord, QuarantineRecord } from '../../../api/domain/records/types.js';
import type { Stream } from '../../../api/domain/streams/types.js';
import type { LakeObject } from '../../../api/ports.js';
import { makeStream } from '../../support/stream.js';

export { makeStream };
export { silentLogger } from '../../support/logger.js';
export { removeDir, tempDir } from '../../support/temp-dir.js';

/** Batch ids sort in receive order, like the real (time-ordered) ones. */
export function batchId(n: number): string {
  return `b${String(n).padStart(8, '0')}`;
}

export function lakeRecord(
  stream: Stream,
  batch: number,
  index: number,
  record: Record<string, unknown>,
  extra?: Record<string, unknown>,
): LakeRecord {
  return {
    _tenant: stream.tenant,
    _stream: stream.name,
    _id: `${batchId(batch)}-${index}`,
    _batch_id: batchId(batch),
    _index: index,
    _received_at: new Date(Date.UTC(2026, 0, 1, 0, 0, batch, index)).toISOString(),
    _schema_version: stream.version,
    record,
    ...(extra ? { extra } : {}),
  };
}

export function quarantineRecord(
  stream: Stream,
  batch: number,
  index: number,
  record: unknown,
  message: string,
): QuarantineRecord {
  return {
    _tenant: stream.tenant,
    _stream: stream.name,
    _batch_id: batchId(batch),
    _index: index,
    _received_at: new Date(Date.UTC(2026, 0, 1, 0, 0, batch, index)).toISOString(),
    _schema_version: stream.version,
    record,
    errors: [{ path: '/x', message }],
  };
}

/** Writes lines as a lake object under a Hive-style key, gzipped when the name ends in .gz. */
export async function writeObject(
  dir: string,
  stream: Stream,
  name: string,
  lines: Array<string | object>,
  kind: LakeObject['kind'] = 'raw',
): Promise<LakeObject> {
  const key = `${kind}/tenant=${stream.tenant}/stream=${stream.name}/dt=2026-01-01/hour=00/${name}`;
  const file = path.join(dir, 'lake', key);
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, name.endsWith('.gz') ? gzipSync(text) : text);
  return {
    tenant: stream.tenant,
    stream: stream.name,
    kind,
    key,
    path: file,
    bytes: (await stat(file)).size,
    records: lines.length,
  };
}

/** Reads a closed tenant database directly, to check what the adapter left on disk. */
export async function inspect(dir: string, tenant: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path.join(dir, `${tenant}.duckdb`));
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(sql);
    const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
    connection.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

/** A stream with every column type, deduplication and an entity layer. */
export const users = makeStream({
  name: 'users',
  schema: {
    type: 'object',
    properties: {
      event_id: { type: 'string' },
      user_id: { type: 'string' },
      version: { type: ['integer', 'null'] },
      name: { type: 'string' },
      deleted: { type: 'boolean' },
      seen_at: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      score: { type: 'number' },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['event_id', 'user_id'],
  },
  dedupe: { key: ['event_id'] },
  entity: { key: ['user_id'], orderBy: 'version', deleteField: 'deleted' },
});

type Row = Record<string, unknown>;
export const row = (
  event_id: string,
  user_id: string,
  version: number | null,
  name?: string,
  more: Row = {},
): Row => ({
  event_id,
  user_id,
  version,
  ...(name === undefined ? {} : { name }),
  ...more,
});
