import path from 'node:path';
import { TributaryError, type IngestResult } from '../../index.js';
import type { Ctx } from '../context.js';
import { CliError, explain } from '../errors.js';
import type { Format, ReadFrom } from '../input/items.js';
import { openInput } from '../input/open.js';
import { batchesOf, bodyOf, separateUnreadable, type Batch, type BatchLimits } from './batches.js';
import { CHECKPOINT_VERSION, newRunId, type Checkpoint, type Totals } from './checkpoint.js';
import { csvTypes, encoderFor, itemsOf, located, resumePoint } from './prepare.js';
import type { Progress } from './progress.js';
import { RecordList } from './record-list.js';
import { RejectsFile, rejectLines } from './rejects.js';
import { Sender } from './sender.js';

export interface PushFileOptions {
  file: string;
  tenant: string;
  stream: string;
  format: Format;
  concurrency: number;
  limits: BatchLimits;
  resume: boolean;
  /** How long the SDK may retry one batch (no answer, 429, 503, …) before the push stops; none: forever. */
  timeoutMs?: number;
}

export interface PushFileResult {
  file: string;
  stream: string;
  totals: Totals;
  /** Input bytes covered by acknowledged batches. */
  bytes: number;
  /** Records read and answered by this run (a resumed push counts only its own). */
  recordsThisRun: number;
  seconds: number;
  rejectsFile?: string;
  resumedFrom?: number;
  lastBatchId?: string;
  /** Requests sent again (no answer, 429, 503, …): many say the server or the network was struggling. */
  retries: number;
  interrupted: boolean;
  checkpoint?: string;
}

/** Ctrl-C once: stop sending, finish what is in flight, save the checkpoint. Twice: abort in-flight requests. */
export interface Stop {
  requested: boolean;
  abort: AbortController;
  /** Called when `requested` turns true, to wake a push waiting for room. */
  onRequest?: () => void;
}

interface Slot {
  /** Its records are released once answered (see `answered`). */
  batch: Batch;
  /** Records sent and records unreadable: counted when answered, before the records are released. */
  records: number;
  invalid: number;
  /** Bytes it holds until committed: its records until answered, then its reject lines. */
  held: number;
  /** Its lines for the rejects file, made when it was answered. */
  rejects?: string[];
  done: boolean;
  result?: IngestResult;
  error?: unknown;
}

/** What an answered batch holds instead of its records. */
const RELEASED = new RecordList(0, 0);

const zeroTotals = (): Totals => ({
  records: 0,
  accepted: 0,
  rejected: 0,
  duplicates: 0,
  invalid: 0,
  batches: 0,
});

/**
 * Batches commit in input order, so one batch waiting out a 429's Retry-After (a second, and then its
 * turn in the server's admission) holds the checkpoint back while the batches after it are sent and
 * answered. An answered batch keeps only its reject lines, so the window past the checkpoint costs
 * little memory: it may reach WINDOW_BATCHES (several seconds at ~160 batches/s; each is an entry of
 * the checkpoint), while the batches not yet answered may hold WINDOW_BYTES (or 2 × concurrency
 * batches, whichever is more, so large batches still fill every connection).
 */
const WINDOW_BATCHES = 1024;
const WINDOW_BYTES = 32 * 1024 * 1024;

/**
 * Pushes one input: batches go out `concurrency` at a time and commit in input order (rejects written,
 * checkpoint advanced), with the window past the checkpoint bounded in batches and in bytes held.
 */
export async function pushFile(
  ctx: Ctx,
  o: PushFileOptions,
  progress: Progress,
  stop: Stop,
): Promise<PushFileResult> {
  const started = Date.now();
  const stdin = o.file === '-';
  const { file, cpFile, existing, info } = await resumePoint(ctx, o);

  const limits = existing?.batch ?? o.limits;
  if (existing && (limits.records !== o.limits.records || limits.bytes !== o.limits.bytes))
    progress.note(
      `note: resuming with the checkpoint's batch size (${limits.records} records, ${limits.bytes} bytes)`,
    );
  const runId = existing?.runId ?? newRunId();
  let columns = existing?.csv?.columns;
  const types =
    o.format === 'csv' ? (existing ? existing.csv?.types : await csvTypes(ctx, o, progress)) : undefined;
  const encode = encoderFor(o.format, types);

  const rejects = new RejectsFile(
    file ? `${file}.rejects.ndjson` : path.resolve(ctx.io.cwd, 'stdin.rejects.ndjson'),
  );
  await rejects.start(existing?.rejectsBytes);
  const totals = existing ? { ...existing.totals } : zeroTotals();
  const before = totals.records + totals.invalid;
  const from: ReadFrom = { offset: existing?.offset ?? 0, line: existing?.line ?? 0, columns };
  let committed = { offset: from.offset, line: from.line };
  let lastBatchId: string | undefined;
  let retries = 0;
  // Keys the previous run sent: a batch cut again from the same place must get the same key.
  const sentKeys = new Map((existing?.inFlight ?? []).map((f) => [f.start, f.idempotencyKey]));

  const window: Slot[] = [];
  let heldBytes = 0;
  let sent = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  stop.onRequest = notify;

  const checkpoint = (): Checkpoint => ({
    version: CHECKPOINT_VERSION,
    input: { file: file!, size: info!.size, mtimeMs: info!.mtimeMs },
    target: { url: ctx.url, tenant: o.tenant, stream: o.stream },
    format: o.format,
    batch: limits,
    runId,
    offset: committed.offset,
    line: committed.line,
    ...(columns ? { csv: { columns, ...(types ? { types } : {}) } } : {}),
    rejectsBytes: rejects.bytes,
    // A copy: the write may come a while later (CheckpointFile spaces them), when totals have moved on.
    totals: { ...totals },
    inFlight: window.map((s) => ({
      start: s.batch.start,
      end: s.batch.end,
      records: s.records,
      idempotencyKey: s.batch.idempotencyKey,
    })),
    savedAt: new Date().toISOString(),
  });
  const save = async () => {
    if (!cpFile) return;
    // The state as of now (offset and rejects bytes agree), written once those rejects are on disk.
    const cp = checkpoint();
    await rejects.sync();
    await cpFile.save(cp);
  };
  /**
   * Saves in the background: nothing waits for the checkpoint's fsyncs, which at a fast disk's 5-10 ms
   * each would hold a push to a batch or two per fsync. It may lag the commits by a write or two; a
   * resume from an older checkpoint cuts the same batches with the same keys, so the server answers
   * the batches sent since from its idempotency store, storing nothing twice. `saved` is what the end
   * of the push waits for, so no late write brings back a checkpoint it removed.
   */
  let saved: Promise<void> = Promise.resolve();
  const saveLater = () => {
    const write = save().catch((err: unknown) => {
      failure ??= err;
    });
    saved = saved.then(() => write);
  };

  const input = await openInput(file ?? '-', ctx.io.stdin, from.offset);
  // Progress counts acknowledged bytes; a gzip file's size is compressed, so it counts bytes read instead.
  const state = () => ({
    bytes: input.gzip || stdin ? input.consumed() : committed.offset,
    records: totals.records + totals.invalid,
    rejected: totals.rejected + totals.invalid,
  });
  const report = () => progress.update(state());
  progress.start(stdin ? 'stdin' : path.basename(o.file), input.size, state());

  let commits: Promise<void> = Promise.resolve();
  const commitReady = () => {
    commits = commits
      .then(async () => {
        let moved = false;
        while (window.length && window[0].done && window[0].error === undefined) {
          const { batch, result } = window[0];
          await rejects.write(window[0].rejects ?? []);
          totals.records += window[0].records;
          totals.invalid += window[0].invalid;
          if (result) {
            totals.accepted += result.accepted;
            totals.rejected += result.rejected;
            totals.duplicates += result.duplicates;
            totals.batches++;
            lastBatchId = result.batchId;
          }
          committed = { offset: batch.end, line: batch.endLine };
          heldBytes -= window[0].held;
          window.shift();
          moved = true;
        }
        if (moved) {
          // The window has room again: a push waiting for it must hear so, even with nothing in flight.
          notify();
          report();
          saveLater();
        }
      })
      .catch((err: unknown) => {
        failure ??= err;
      });
  };

  /** One request: the Sender retries, so that a batch waiting to be sent again holds no connection. */
  const post = (batch: Batch) => {
    const { body, contentType } = bodyOf(batch, o.format);
    return ctx.api.sendBatch({
      tenant: o.tenant,
      stream: o.stream,
      body,
      contentType,
      idempotencyKey: batch.idempotencyKey,
      signal: stop.abort.signal,
      timeoutMs: 0,
    });
  };
  /** Sends a batch; a 400 for a malformed record (nothing claimed, nothing stored) sends the rest. */
  const deliver = async (slot: Slot): Promise<IngestResult | undefined> => {
    const { batch } = slot;
    try {
      return await post(batch);
    } catch (err) {
      const unreadable = err instanceof TributaryError && err.status === 400 && o.format !== 'csv';
      if (!unreadable || separateUnreadable(batch) === 0) throw err;
      return batch.records.length ? post(batch) : undefined;
    }
  };
  /** The batch is answered: its reject lines are all its commit needs, so its records can go. */
  const answered = (slot: Slot, result: IngestResult | undefined) => {
    const { batch } = slot;
    slot.result = result;
    slot.rejects = rejectLines(batch, result, o.stream);
    slot.records = batch.records.length;
    slot.invalid = batch.invalid.length;
    batch.records = RELEASED;
    batch.invalid = [];
    const held = slot.rejects.reduce((n, l) => n + 2 * l.length, 0);
    heldBytes += held - slot.held;
    slot.held = held;
    slot.done = true;
    commitReady();
  };
  const sender = new Sender<Slot, IngestResult | undefined>({
    concurrency: o.concurrency,
    attempt: deliver,
    timeoutMs: o.timeoutMs,
    onRetry: () => retries++,
    settled: (slot, outcome) => {
      if ('result' in outcome) answered(slot, outcome.result);
      else {
        slot.error = outcome.error;
        failure ??= stop.abort.signal.aborted
          ? undefined
          : located(outcome.error, slot.batch, {
              file: o.file,
              url: ctx.url,
              timeoutMs: o.timeoutMs,
              sentFor: outcome.sentFor,
            });
        slot.done = true;
      }
      notify();
    },
  });
  const onAbort = () => sender.abort(stop.abort.signal.reason);
  stop.abort.signal.addEventListener('abort', onAbort, { once: true });

  const room = () =>
    sender.hasRoom &&
    window.length < WINDOW_BATCHES &&
    (window.length < 2 * o.concurrency || heldBytes < WINDOW_BYTES);
  const halted = () => failure !== undefined || stop.requested || stop.abort.signal.aborted;
  let exhausted = false;
  try {
    for await (const batch of batchesOf(
      itemsOf(o.format, input.chunks, from, (c) => (columns = c)),
      {
        from,
        limits,
        runId,
        encode,
      },
    )) {
      const before = sentKeys.get(batch.start);
      if (before !== undefined && before !== batch.idempotencyKey)
        throw new CliError(
          `cannot resume ${o.file}: the batch at byte ${batch.start} was sent as ${before} but is now cut as ` +
            `${batch.idempotencyKey}; delete ${cpFile?.path} to start over`,
        );
      while (!room() && !halted()) await new Promise<void>((r) => (wake = r));
      if (sent === 0 && batch.records.length) {
        // The first batch waits for a checkpoint naming this run's id: a crash before there is one would
        // leave nothing to resume, and a new push would send the same records under other keys.
        saveLater();
        await saved;
      }
      if (halted()) break;
      const slot: Slot = {
        batch,
        records: batch.records.length,
        invalid: batch.invalid.length,
        held: batch.records.bytes,
        done: false,
      };
      window.push(slot);
      heldBytes += slot.held;
      if (batch.records.length) {
        // Not awaited: the key is a function of the batch's range, so the checkpoint may lag the send.
        saveLater();
        sent++;
        sender.send(slot);
      } else answered(slot, undefined);
      report();
    }
    exhausted = !halted();
  } catch (err) {
    failure ??= err;
  } finally {
    input.close();
  }
  while (sender.unsettled > 0) await new Promise<void>((r) => (wake = r));
  stop.abort.signal.removeEventListener('abort', onAbort);
  await commits;
  await saved;
  progress.stop();
  const complete = exhausted && failure === undefined && window.length === 0;
  // A run that sent nothing (a file that is not the format it claims, say) cannot have stored anything.
  const pointless = !existing && sent === 0 && failure !== undefined;
  try {
    if (complete || pointless) await cpFile?.remove();
    else await save();
  } finally {
    await rejects.close();
  }
  if (failure !== undefined) {
    if (!cpFile || pointless) throw failure instanceof Error ? failure : new Error(explain(failure).message);
    const { message, exitCode } = explain(failure);
    throw new CliError(
      `${message}; progress is saved in ${cpFile.path}: once fixed, run the same command with --resume`,
      exitCode,
    );
  }
  return {
    file: o.file,
    stream: o.stream,
    totals,
    bytes: committed.offset,
    recordsThisRun: totals.records + totals.invalid - before,
    seconds: (Date.now() - started) / 1000,
    ...(rejects.bytes ? { rejectsFile: rejects.path } : {}),
    ...(existing ? { resumedFrom: existing.offset } : {}),
    ...(lastBatchId ? { lastBatchId } : {}),
    retries,
    interrupted: !complete,
    ...(!complete && cpFile ? { checkpoint: cpFile.path } : {}),
  };
}
