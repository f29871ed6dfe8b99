/**
 * How the load-history poller walks COPY_HISTORY: a cursor (`at` plus the files loaded exactly at `at`)
 * says what was already handled, and each tick takes the next rows in load order.
 */
import type { LoadCursor, LoadHistoryRow } from '../ports.js';

/** COPY_HISTORY's STATUS for a load that has not finished: neither loaded nor failed yet. */
export const LOAD_IN_PROGRESS = 'load in progress';

export const isInProgress = (r: LoadHistoryRow) => r.status.toLowerCase() === LOAD_IN_PROGRESS;

const byLoadTime = (a: LoadHistoryRow, b: LoadHistoryRow) =>
  a.loadedAt.localeCompare(b.loadedAt) || a.file.localeCompare(b.file);

/**
 * The rows after the cursor, oldest first, at most `max`. A load still in progress ends the list: it is
 * unseen, so the cursor must not pass it, and the rows after it wait with it (its outcome, and its final
 * load time, come in a later tick).
 */
export function nextRows(history: LoadHistoryRow[], cursor: LoadCursor, max: number): LoadHistoryRow[] {
  const seen = new Set(cursor.files);
  const fresh = history
    .filter((r) => r.loadedAt > cursor.at || (r.loadedAt === cursor.at && !seen.has(r.file)))
    .sort(byLoadTime);
  const out: LoadHistoryRow[] = [];
  for (const r of fresh) {
    if (isInProgress(r) || out.length >= max) break;
    out.push(r);
  }
  return out;
}

/** The cursor once `rows` (a prefix of what nextRows gave) are handled. */
export function advance(cursor: LoadCursor, rows: LoadHistoryRow[]): LoadCursor {
  if (rows.length === 0) return cursor;
  const last = rows[rows.length - 1].loadedAt;
  const files = rows.filter((r) => r.loadedAt === last).map((r) => r.file);
  return last === cursor.at ? { at: last, files: [...cursor.files, ...files] } : { at: last, files };
}
