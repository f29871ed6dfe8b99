import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { DependencyUnavailableError, LoadDataError } from '../../domain/errors.js';
import type { Stream } from '../../domain/streams/types.js';
import type { LakeObject, LoadedObject } from '../../ports.js';
import { QUARANTINE } from './ddl.js';
import { classifyFailure } from './errors.js';
import { checkIdentifier, qualified } from './identifiers.js';
import { historyHas, recordHistory } from './load-history.js';
import { quarantineLoadSql, rawLoadSql } from './load-sql.js';
import { checkObjects, ensureTables } from './load.js';
import { findBadLines, lineOrigin, splitLines, wellFormedText, type BadLine } from './salvage.js';
import { inTransaction } from './tenant-database.js';
import type { TenantDatabases } from './tenant-databases.js';

/**
 * Loads what can be loaded of an object the warehouse refused as a whole. The bad lines are found
 * by bisection: each probe loads a run of lines from a temporary file inside a transaction that is
 * always rolled back (DuckDB has no savepoints, and a failed statement aborts its transaction).
 * Then one transaction loads every good line, puts each bad one in the stream's quarantine with
 * reason `load_failed` and the engine's message, and records the object in the load history, so a
 * crash at any point loads no line twice. A dependency error during any of it is thrown as such
 * and nothing is quarantined.
 */
export async function salvageObject(
  databases: TenantDatabases,
  logger: Logger,
  obj: LakeObject,
  stream: Stream,
): Promise<LoadedObject> {
  checkObjects([obj], stream);
  const sql = (file: string) =>
    obj.kind === 'raw' ? rawLoadSql(stream, [file]) : quarantineLoadSql(stream, [file]);
  sql(obj.path);
  const lines = splitLines(await readObject(obj));
  const scratch = path.join(databases.dir, '.salvage');
  const tmp = path.join(scratch, `${checkIdentifier(stream.tenant, 'tenant')}-${randomUUID()}.ndjson`);
  const write = async (indices: number[]) => {
    const parts: Buffer[] = [];
    for (const i of indices) parts.push(lines[i], NEWLINE);
    await writeFile(tmp, Buffer.concat(parts));
  };
  const range = (first: number, end: number) => Array.from({ length: end - first }, (_, i) => first + i);
  const started = performance.now();
  try {
    await mkdir(scratch, { recursive: true });
    const result = await databases.run(
      stream.tenant,
      `salvage ${obj.key}`,
      async (c, db): Promise<LoadedObject> => {
        await ensureTables(db, c, stream);
        if ((await historyHas(c, [obj.key])).size > 0) return { key: obj.key, rows: 0, alreadyLoaded: true };
        const probe = async (first: number, end: number): Promise<string | undefined> => {
          await write(range(first, end));
          await c.run('BEGIN TRANSACTION');
          try {
            const rows = Number((await c.run(sql(tmp))).rowsChanged);
            return rows === end - first ? undefined : `${end - first} line(s) hold ${rows} record(s)`;
          } catch (err) {
            if (classifyFailure(err) !== 'data') throw err;
            return engineMessage(err, tmp, obj.key);
          } finally {
            await c.run('ROLLBACK').catch(() => undefined);
          }
        };
        const whole = await probe(0, lines.length);
        const bad = whole === undefined ? [] : await findBadLines(lines.length, whole, probe);
        const badIndices = new Set(bad.map((b) => b.index));
        const good = range(0, lines.length).filter((i) => !badIndices.has(i));
        return inTransaction(c, async () => {
          let rows = 0;
          if (good.length > 0) {
            await write(good);
            rows = Number((await c.run(sql(tmp))).rowsChanged);
            if (rows !== good.length)
              throw new LoadDataError(
                `Lake object ${obj.key}: ${good.length} good lines loaded ${rows} rows`,
              );
          }
          const failedBatches = await quarantineLines(c, stream, bad, (i) => lines[i]);
          const missing = Math.max(0, obj.records - lines.length);
          if (missing > 0) {
            logger.error(
              { object: obj.key, written: obj.records, found: lines.length },
              'lake object holds fewer lines than were written; the missing records cannot be loaded',
            );
          }
          const failed = bad.length + missing;
          await recordHistory(c, [{ obj, rows, failed, failedBatches }]);
          return { key: obj.key, rows, alreadyLoaded: false, failed, failedBatches };
        });
      },
    );
    logger.warn(
      {
        tenant: stream.tenant,
        stream: stream.name,
        object: obj.key,
        rows: result.rows,
        failed: result.failed ?? 0,
        ms: Math.round(performance.now() - started),
      },
      'salvaged a lake object the warehouse refused: good lines loaded, bad lines quarantined',
    );
    return result;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Quarantines lines the warehouse refused, with reason `load_failed`. The record is the line's text
 * as a JSON string, every byte that is not well-formed UTF-8 written out as `\xNN`, so the row
 * always stores whatever the line held. Answers how many lines of each batch were quarantined.
 */
async function quarantineLines(
  c: DuckDBConnection,
  stream: Stream,
  bad: BadLine[],
  line: (index: number) => Buffer,
): Promise<Record<string, number>> {
  const perBatch: Record<string, number> = {};
  const table = qualified(QUARANTINE, stream.name);
  for (const { index, message } of bad) {
    const text = wellFormedText(line(index));
    const origin = lineOrigin(text);
    if (origin.batchId !== null) perBatch[origin.batchId] = (perBatch[origin.batchId] ?? 0) + 1;
    await c.run(
      `INSERT INTO ${table} ("record", "errors", "reason", "_batch_id", "_index", "_received_at", "_schema_version")
       VALUES ($record::JSON, $errors::JSON, 'load_failed', $batch::VARCHAR, $index::INTEGER, TRY_CAST($at::VARCHAR AS TIMESTAMPTZ), $version::INTEGER)`,
      {
        record: JSON.stringify(text),
        errors: JSON.stringify([{ path: '', message: `load failed: ${message}` }]),
        batch: origin.batchId,
        index: origin.index,
        at: origin.receivedAt,
        version: origin.schemaVersion,
      },
    );
  }
  return perBatch;
}

/** The engine's message about a probe, naming the lake object instead of the temporary file. */
function engineMessage(err: unknown, tmp: string, key: string): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .split(tmp)
    .join(key)
    .replace(/\n?Try setting 'auto_detect'[\s\S]*$/, '')
    .replace(/\n? ?If this error occurred during read_json[^\n]*/, '')
    .replace(/,? (at byte \d+ )?in line \d+/g, '')
    .trim();
}

const NEWLINE = Buffer.from('\n');
const gunzipAsync = promisify(gunzip);

/** The object's bytes, decompressed; a file that cannot be read is a dependency error (it is retried). */
async function readObject(obj: LakeObject): Promise<Buffer> {
  try {
    const raw = await readFile(obj.path);
    return obj.path.endsWith('.gz') ? await gunzipAsync(raw) : raw;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new DependencyUnavailableError(`Could not read lake object ${obj.key}: ${message}`, 1, {
      cause: err,
    });
  }
}
