import { stat } from 'node:fs/promises';
import path from 'node:path';
import { TributaryError } from '../../index.js';
import { isRetryable } from '../../retry.js';
import type { Ctx } from '../context.js';
import { CliError, UsageError, describeApiError } from '../errors.js';
import { columnTypesOf, typeRow, type ColumnTypes } from '../input/csv-values.js';
import { csvItems } from '../input/csv.js';
import type { Format, Item, ReadFrom } from '../input/items.js';
import { jsonArrayItems } from '../input/json-array.js';
import { ndjsonItems } from '../input/ndjson.js';
import { encodeJson, type Batch, type Encode } from './batches.js';
import { CheckpointFile, checkpointPathFor, type Checkpoint } from './checkpoint.js';
import type { Progress } from './progress.js';
import type { PushFileOptions } from './push-file.js';

/* What a push settles before it sends anything: where it starts, and how it reads and encodes records. */

/** At most about four checkpoint writes a second (see CheckpointFile). */
const CHECKPOINT_GAP_MS = 250;

export function itemsOf(
  format: Format,
  chunks: AsyncIterable<Buffer>,
  from: ReadFrom,
  onHeader: (c: string[]) => void,
) {
  if (format === 'csv') return csvItems(chunks, from, onHeader);
  if (format === 'json') return jsonArrayItems(chunks, from);
  return ndjsonItems(chunks, from);
}

/** The stream's column types for typing CSV cells; without read access the cells stay strings. */
export async function csvTypes(
  ctx: Ctx,
  o: PushFileOptions,
  progress: Progress,
): Promise<ColumnTypes | undefined> {
  try {
    const stream = await ctx.api.streams.get(o.tenant, o.stream);
    return columnTypesOf(stream.schema);
  } catch (err) {
    if (err instanceof TributaryError && err.status === 403) {
      progress.note(`note: this key cannot read stream '${o.stream}', so CSV values are sent as strings`);
      return undefined;
    }
    throw err;
  }
}

/** CSV rows become JSON typed by the schema; JSON text is sent as read. */
export function encoderFor(format: Format, types: ColumnTypes | undefined): Encode {
  if (format !== 'csv') return encodeJson;
  return (item: Item) =>
    item.kind === 'csv'
      ? Buffer.from(JSON.stringify(typeRow(item.row, types)))
      : item.kind === 'invalid'
        ? { error: item.error, raw: item.raw }
        : { error: 'not a CSV row', raw: '' };
}

function checkResumable(
  cp: Checkpoint,
  o: PushFileOptions,
  url: string,
  size: number,
  mtimeMs: number,
): void {
  const differs = (what: string, was: unknown, now: unknown) => {
    throw new CliError(
      `cannot resume ${o.file}: the checkpoint was for ${what} ${String(was)}, not ${String(now)}; ` +
        `delete ${checkpointPathFor(o.file)} to start over`,
    );
  };
  if (cp.input.size !== size || cp.input.mtimeMs !== mtimeMs)
    throw new CliError(
      `cannot resume ${o.file}: it changed since the checkpoint (size or modification time); ` +
        `delete ${checkpointPathFor(o.file)} to start over`,
    );
  if (cp.target.url !== url) differs('server', cp.target.url, url);
  if (cp.target.tenant !== o.tenant) differs('tenant', cp.target.tenant, o.tenant);
  if (cp.target.stream !== o.stream) differs('stream', cp.target.stream, o.stream);
  if (cp.format !== o.format) differs('format', cp.format, o.format);
}

/**
 * The checkpoint to resume from, if any, after the rules that keep a push from sending twice: a file with a
 * checkpoint needs --resume, --resume needs a checkpoint, and the file and target must be the same.
 */
export async function resumePoint(ctx: Ctx, o: PushFileOptions) {
  const stdin = o.file === '-';
  const file = stdin ? undefined : path.resolve(ctx.io.cwd, o.file);
  const cpFile = file ? new CheckpointFile(checkpointPathFor(file), CHECKPOINT_GAP_MS) : undefined;
  if (stdin && o.resume) throw new UsageError('--resume: stdin cannot be resumed; push a file instead');
  const existing = await cpFile?.read();
  if (existing && !o.resume)
    throw new UsageError(
      `${o.file} has a checkpoint from an interrupted push (${cpFile!.path}): add --resume to continue it ` +
        'without sending anything twice, or delete the checkpoint to start over',
    );
  if (!existing && o.resume)
    throw new UsageError(
      `--resume: ${o.file} has no checkpoint (${cpFile!.path}); a push that finished removes it`,
    );
  const info = file ? await stat(file) : undefined;
  if (existing && info) checkResumable(existing, o, ctx.url, info.size, info.mtimeMs);
  return { file, cpFile, existing, info };
}

/**
 * Where a failed batch lies, so the message points into the file; and, when the SDK stopped retrying
 * because the batch ran past --timeout, that it did.
 */
export function located(
  err: unknown,
  batch: Batch,
  o: { file: string; url: string; timeoutMs?: number; sentFor: number },
): Error {
  const n = batch.records.length;
  const first = n ? batch.records.line(0) : batch.invalid[0]?.line;
  const last = n ? batch.records.line(n - 1) : undefined;
  const where = `${o.file === '-' ? 'stdin' : o.file} lines ${first}-${last}`;
  if (err instanceof TributaryError) {
    const conflict = err.status === 409 && err.code === 'idempotency_conflict';
    const why = conflict
      ? 'this batch was sent before with different content: the input changed since the checkpoint'
      : describeApiError(err, o.url);
    const gaveUp = o.timeoutMs !== undefined && o.sentFor >= o.timeoutMs && isRetryable(err);
    const after = gaveUp ? `; still failing after ${o.timeoutMs! / 1000} s of retries (--timeout)` : '';
    return new CliError(`${where}: ${why}${after}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
