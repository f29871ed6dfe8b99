/**
 * Replacing a raw pipe without losing or reloading a file. Snowflake facts that shape it:
 * - a pipe's load history belongs to the pipe: CREATE OR REPLACE starts the new pipe with none, so
 *   ALTER PIPE … REFRESH MODIFIED_AFTER would queue again every file the old pipe loaded since then;
 * - notifications that reach a paused pipe wait for it to resume, and are gone when it is replaced;
 * - the documented procedure pauses the pipe and waits for SYSTEM$PIPE_STATUS to show PAUSED with
 *   no pending file before replacing it.
 * So the old pipe is paused and drained, the files it loaded are read from COPY_HISTORY while it still
 * exists, and after the replacement the new pipe is refreshed with exactly the lake objects of the
 * catch-up window that neither that history nor the raw table's _FILE column holds: one
 * REFRESH PREFIX = '<file>' each. They go through the new pipe, whose own history then stops a
 * notification for the same file from loading it twice.
 * Everything here is pure; evolution-runner.ts runs it.
 */
import { InvalidInputError } from '../../domain/errors.js';
import { lit } from './identifiers.js';
import { lakePrefix, stageLocation } from './names.js';
import type { StreamObjects } from './names.js';
import { historyStart } from './queries.js';
import { FILE_COLUMN } from './sql.js';

/**
 * How far back, before the evolution, the catch-up looks: the drain takes seconds, and a retry of a
 * failed evolution within the hour still finds the files its first attempt left unloaded.
 */
export const CATCH_UP_WINDOW_MS = 60 * 60 * 1000;
/** Past this many missing files, one REFRESH per file would outlast the request; see catchUpSql. */
export const MAX_FILE_REFRESHES = 100;
/** Files per `_FILE IN (…)` query. */
export const FILES_PER_QUERY = 500;

const HOUR_MS = 60 * 60 * 1000;
/** Listing stops at the hour five minutes after the evolution, which covers the drain and the replace. */
const LIST_AHEAD_MS = 5 * 60 * 1000;

export interface PipeStatus {
  executionState: string;
  pendingFileCount: number;
}

export function pipeStatusSql(pipe: string): string {
  return `SELECT SYSTEM$PIPE_STATUS(${lit(pipe)}) AS "STATUS"`;
}

/** The JSON text SYSTEM$PIPE_STATUS returns; a missing pendingFileCount is 0 (it is left out when none). */
export function parsePipeStatus(value: unknown): PipeStatus {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
  }
  const o = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  if (!o || typeof o.executionState !== 'string')
    throw new Error(`SYSTEM$PIPE_STATUS answered something unexpected: ${String(value)}`);
  const pending = Number(o.pendingFileCount ?? 0);
  return { executionState: o.executionState, pendingFileCount: Number.isFinite(pending) ? pending : 0 };
}

export const isDrained = (s: PipeStatus) => s.executionState === 'PAUSED' && s.pendingFileCount === 0;

/** What the catch-up needs of one stream, fixed at plan time from the evolution's time. */
export interface CatchUp {
  /** COPY_HISTORY of the raw table since the window start: the files the old pipe handled. */
  handledSql: string;
  /** LIST of each hour partition of the window, oldest first. */
  listSql: string[];
  /** `s3://<bucket>/`: LIST names objects by URL; the rest is the lake key. */
  bucketUrl: string;
  /** The raw pipe's path: a REFRESH PREFIX is relative to it. */
  pipePath: string;
  objects: StreamObjects;
  /** When the catch-up window starts (ISO). */
  since: string;
}

/** The hour partitions Firehose writes (`dt=YYYY-MM-DD/hour=HH/`, UTC) that the window covers. */
export function windowHours(at: number): { since: string; hours: string[] } {
  const first = Math.floor((at - CATCH_UP_WINDOW_MS) / HOUR_MS) * HOUR_MS;
  const hours: string[] = [];
  for (let h = first; h <= at + LIST_AHEAD_MS; h += HOUR_MS) {
    const iso = new Date(h).toISOString();
    hours.push(`dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`);
  }
  return { since: new Date(first).toISOString(), hours };
}

export function catchUpFor(
  tenant: string,
  stream: string,
  o: StreamObjects,
  bucket: string,
  evolvedAt: string,
): CatchUp {
  const at = Date.parse(evolvedAt);
  if (Number.isNaN(at))
    throw new InvalidInputError('Invalid stream', [
      { path: 'updatedAt', message: 'must be an ISO-8601 time' },
    ]);
  const { since, hours } = windowHours(at);
  const pipePath = lakePrefix('raw', tenant, stream);
  return {
    handledSql: [
      `SELECT DISTINCT "FILE_NAME"`,
      `FROM TABLE(${o.database}.INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => ${lit(o.raw)}, START_TIME => ${historyStart(since, 'updatedAt')}))`,
      // A failed file is not handled: it may have failed for the change under way, so it is tried again.
      `WHERE UPPER("STATUS") IN ('LOADED', 'PARTIALLY LOADED', 'LOAD IN PROGRESS')`,
    ].join('\n'),
    listSql: hours.map((h) => `LIST ${stageLocation(o.stage, pipePath + h)}`),
    bucketUrl: `s3://${bucket}/`,
    pipePath,
    objects: o,
    since,
  };
}

/** Lake objects in LIST rows (`name` is the object's URL, `last_modified` an HTTP date); folders skipped. */
export function listedFiles(rows: Array<Record<string, unknown>>, c: CatchUp): Map<string, string> {
  const out = new Map<string, string>();
  for (const row of rows) {
    const name = text(row.name ?? row.NAME);
    if (!name.startsWith(c.bucketUrl) || name.endsWith('/')) continue;
    const key = name.slice(c.bucketUrl.length);
    if (!key.startsWith(c.pipePath)) continue;
    const modified = Date.parse(text(row.last_modified ?? row.LAST_MODIFIED));
    out.set(key, Number.isNaN(modified) ? c.since : new Date(modified).toISOString());
  }
  return out;
}

export function filesInRawSql(c: CatchUp, files: string[]): string {
  return [
    `SELECT DISTINCT ${FILE_COLUMN}`,
    `FROM ${c.objects.raw}`,
    `WHERE ${FILE_COLUMN} IN (${files.map(lit).join(', ')})`,
  ].join('\n');
}

/** Listed objects that no handled set holds, oldest key first. */
export function missingFiles(listed: Iterable<string>, ...handled: Array<Set<string>>): string[] {
  return [...listed].filter((f) => !handled.some((h) => h.has(f))).sort();
}

/**
 * The REFRESH statements that load `missing` (keys, with their last-modified times) through the new
 * pipe. One per file up to MAX_FILE_REFRESHES; past that, one per hour partition from the oldest
 * missing file of that hour, which may queue again a file the old pipe loaded later in that hour
 * (raw is at-least-once anyway; the deduped layer absorbs it), but loses none.
 */
export function catchUpSql(c: CatchUp, missing: Map<string, string>): string[] {
  const pipe = c.objects.rawPipe;
  const rel = (key: string) => key.slice(c.pipePath.length);
  if (missing.size <= MAX_FILE_REFRESHES)
    return [...missing.keys()].sort().map((k) => `ALTER PIPE ${pipe} REFRESH PREFIX = ${lit(rel(k))}`);
  const oldest = new Map<string, string>();
  for (const [key, modified] of missing) {
    const hour = rel(key).replace(/[^/]*$/, '');
    // LIST times are to the second: a second earlier keeps the oldest file itself in the refresh.
    const from = new Date(Date.parse(modified) - 1000).toISOString();
    const seen = oldest.get(hour);
    if (!seen || from < seen) oldest.set(hour, from);
  }
  return [...oldest.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([hour, modified]) =>
        `ALTER PIPE ${pipe} REFRESH PREFIX = ${lit(hour)} MODIFIED_AFTER = ${lit(modified)}`,
    );
}

/** LIST answers text columns; anything else (absent, null) reads as empty. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
