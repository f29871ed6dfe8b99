import { randomUUID } from 'node:crypto';
import { IdempotencyConflictError, IdempotencyInProgressError } from '../errors.js';
import type { BatchClaim, IdempotencyRecord, IdempotencyStore } from '../../ports.js';
import type { IngestResult } from './types.js';

/**
 * A claim older than this belongs to a request that died (or overran): a retry may take it over.
 * Requests check the same limit before they store anything (see `Attempt.inTime`), so a live request
 * never stores under a claim that could already have been taken over.
 */
export const IN_PROGRESS_EXPIRY_MS = 60_000;
/** A request past this share of the expiry no longer starts storing; it answers 503 instead. */
const STORE_DEADLINE_MS = IN_PROGRESS_EXPIRY_MS / 2;
/** Attempts at recording the result after the batch was stored, and the pause before each retry. */
const COMPLETE_BACKOFF_MS = [0, 50, 250];

export interface IdempotentOutcome {
  status: 200 | 422;
  body: IngestResult;
  replayed: boolean;
}

export interface IdempotencyDeps {
  store: IdempotencyStore;
  now: () => Date;
  /** Errors that must not fail a request whose batch is already stored. */
  warn: (details: Record<string, unknown>, message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface Attempt {
  /** The batch id this attempt stores under, recorded in the claim before anything is stored. */
  batchId: string;
  /** The claim held while storing; it goes with the batch (IngestBatch.claim). */
  claim: BatchClaim;
  /** False once the claim is too old to start storing under it. */
  inTime(): boolean;
  /** Call right after the batch is durably stored: from then on the claim is never released. */
  stored(): void;
}

export interface IdempotentRequest {
  tenant: string;
  stream: string;
  key: string;
  fingerprint: string;
  batchId: string;
  /** Validates and stores; calls `attempt.stored()` as soon as the batch is durable. */
  run(attempt: Attempt): Promise<IdempotentOutcome>;
  /**
   * The answer for a stale claim whose batch was stored after all (its request died before it could
   * record the result), or undefined when nothing of that batch was stored.
   */
  recover(stale: IdempotencyRecord): Promise<IdempotentOutcome | undefined>;
}

/**
 * Runs `req` at most once per Idempotency-Key, following the AWS Powertools idempotency pattern:
 *
 * - the claim is a conditional write: exactly one of concurrent requests gets it; the others answer
 *   409 `idempotency_in_progress` with Retry-After, or replay the stored result once there is one;
 * - a claim older than IN_PROGRESS_EXPIRY_MS, or one the store marks `orphaned` (its process died), is
 *   taken over only by a write conditioned on that exact claim (its token), so of two retries only one
 *   takes it over; before taking over, the delivery is asked whether the stale claim's batch was
 *   stored, and if it was, its answer is recorded instead of storing the batch again;
 * - the claim is released only when nothing was stored. Once the batch is stored, the result is
 *   recorded (retried a few times); if that keeps failing the request still answers with its result,
 *   because the batch *is* durable. The claim then stays pending with its batch id, and a later retry
 *   finds the batch through the stale-claim path above instead of storing it twice;
 * - every write after the claim is conditioned on our claim's token: no request overwrites or
 *   releases another's claim.
 */
export async function runIdempotent(
  deps: IdempotencyDeps,
  req: IdempotentRequest,
): Promise<IdempotentOutcome> {
  const claimedAt = deps.now();
  const mine: IdempotencyRecord = {
    tenant: req.tenant,
    stream: req.stream,
    key: req.key,
    fingerprint: req.fingerprint,
    state: 'pending',
    token: randomUUID(),
    createdAt: claimedAt.toISOString(),
    batchId: req.batchId,
  };

  const replay = await acquire(deps, req, mine);
  if (replay) return replay;

  let stored = false;
  const attempt: Attempt = {
    batchId: req.batchId,
    claim: { key: mine.key, fingerprint: mine.fingerprint, token: mine.token, createdAt: mine.createdAt },
    inTime: () => deps.now().getTime() - claimedAt.getTime() < STORE_DEADLINE_MS,
    stored: () => {
      stored = true;
    },
  };
  let outcome: IdempotentOutcome;
  try {
    outcome = await req.run(attempt);
  } catch (err) {
    if (!stored) {
      await deps.store
        .release(mine)
        .catch((cause: unknown) =>
          deps.warn({ err: cause, key: req.key }, 'could not release an idempotency claim'),
        );
    }
    throw err;
  }
  await record(deps, { ...mine, state: 'done', result: { status: outcome.status, body: outcome.body } });
  return outcome;
}

/** Claims the key (or takes over a stale claim); returns a replay when the answer is already known. */
async function acquire(
  deps: IdempotencyDeps,
  req: IdempotentRequest,
  mine: IdempotencyRecord,
): Promise<IdempotentOutcome | undefined> {
  let holder = await deps.store.claim(mine);
  for (let round = 0; holder; round++) {
    if (holder.fingerprint !== mine.fingerprint) {
      throw new IdempotencyConflictError(
        `Idempotency-Key '${mine.key}' was already used with a different request body.`,
      );
    }
    if (holder.result) return replayOf(holder.result);
    // An orphaned claim's request died with its process (the store knows): no need to wait it out.
    const stale =
      holder.orphaned || deps.now().getTime() - Date.parse(holder.createdAt) >= IN_PROGRESS_EXPIRY_MS;
    if (!stale || round >= 2) {
      throw new IdempotencyInProgressError(
        `A request with Idempotency-Key '${mine.key}' is still in progress; retry shortly.`,
        1,
      );
    }
    // Stale: its request died or overran. Did it store its batch before it went?
    const recovered = holder.batchId ? await req.recover(holder) : undefined;
    if (recovered) {
      const done: IdempotencyRecord = {
        ...mine,
        batchId: holder.batchId,
        state: 'done',
        result: { status: recovered.status, body: recovered.body },
      };
      if (await deps.store.takeOver(holder, done)) return replayOf(done.result!);
    } else if (await deps.store.takeOver(holder, mine)) {
      return undefined;
    }
    // Someone else changed the claim first: look again.
    holder = await deps.store.claim(mine);
  }
  return undefined;
}

const replayOf = (result: NonNullable<IdempotencyRecord['result']>): IdempotentOutcome => ({
  status: result.status as 200 | 422,
  body: result.body,
  replayed: true,
});

/** Records the result of a stored batch. Never throws: the batch is durable whatever happens here. */
async function record(deps: IdempotencyDeps, done: IdempotencyRecord): Promise<void> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let lastError: unknown;
  for (const pause of COMPLETE_BACKOFF_MS) {
    if (pause) await sleep(pause);
    try {
      if (!(await deps.store.complete(done))) {
        deps.warn(
          { key: done.key, batchId: done.batchId },
          'an idempotency claim was taken over while storing',
        );
      }
      return;
    } catch (err) {
      lastError = err;
    }
  }
  // The claim stays pending with our batch id: a retry after it goes stale finds the batch stored.
  deps.warn(
    { err: lastError, key: done.key, batchId: done.batchId },
    'could not record an idempotent result; a retry will recover it from the batch receipt',
  );
}
