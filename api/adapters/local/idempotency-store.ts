import path from 'node:path';
import type { Logger } from 'pino';
import { OverloadedError } from '../../domain/errors.js';
import type { BatchClaim, IdempotencyRecord, IdempotencyStore } from '../../ports.js';
import {
  decodeOp,
  encodeDelete,
  encodePut,
  entryFrame,
  mapKeyOf,
  recordOf,
  type IdemEntry,
} from './idempotency-codec.js';
import { IdempotencyJournal, nodeJournalFs, type JournalFs } from './idempotency-journal.js';

export interface LocalIdempotencySettings {
  /** Keys kept at once; a claim past it answers 429 until old keys expire. */
  maxKeys: number;
  /** How long a key holds after its claim (the promise is 24 h). */
  retentionMs: number;
}

export interface LocalIdempotencyOptions extends LocalIdempotencySettings {
  /**
   * The local delivery stores each batch's claim inside its log entry (IngestBatch.claim), restores
   * claims from the log at recovery (restore) and syncs this store before it deletes a segment (sync).
   * Claims then need no fdatasync of their own: a claim is durable exactly when its batch is. Without
   * it (tests of the store alone), claim and takeOver wait for the journal's fdatasync.
   */
  claimsRideWithBatches?: boolean;
  /** The store's own directory (the journal lives there). */
  dir: string;
  logger: Logger;
  now: () => number;
  fs?: JournalFs;
  /** Compaction thresholds (tests lower them). */
  compactMinBytes?: number;
  sweepIntervalMs?: number;
  /** How long frames nobody waits for may wait before they are written (the journal's default: 20 ms). */
  journalLingerMs?: number;
}

/** The journal is rewritten once it is twice the live state: dead frames then outnumber live ones. */
const COMPACT_RATIO = 2;
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;
const SWEEP_INTERVAL_MS = 60_000;
/** Longest Retry-After a full store suggests: the oldest key may be hours from expiring. */
const FULL_RETRY_MAX_S = 300;

/**
 * The idempotency store of local mode: one process owns the data directory (the catalog's LevelDB lock
 * keeps a second server off it), so the conditions DynamoDB evaluates per item are plain checks on an
 * in-memory map, atomic because nothing awaits between a check and its change. Same semantics as
 * DynamoIdempotencyStore: a conditional claim, takeOver conditioned on the stale claim's token while
 * it is pending, complete and release conditioned on our own token, and a key held for `retentionMs`.
 *
 * Durability. A claim must be durable no later than the batch stored under it: had the batch been
 * stored under a claim that a crash then lost, the retry would find no claim and store the batch again.
 * With the local delivery (claimsRideWithBatches), the claim travels inside the batch's log entry, so
 * one fdatasync (the log's group commit) makes both durable and a keyed request waits for one fsync,
 * not two. The journal gets the claim too, unsynced; recovery puts back (restore) any claim a log entry
 * holds that the journal lost, and the log syncs this journal (sync) before it deletes a segment, so a
 * claim is on disk in one or the other at every moment. On its own (claimsRideWithBatches off) a
 * pending claim is fdatasynced before claim/takeOver resolve.
 * Results and releases are written with the next group but not waited for: if a power loss drops a
 * result, the claim is replayed pending with its batch id, and the retry answers from the batch's
 * receipt (ingest's recoverStored); a dropped release leaves a claim whose batch has no receipt, which
 * the retry takes over and stores. Pending claims replayed at start are `orphaned` (their process is
 * gone), so a retry takes them over at once instead of after IN_PROGRESS_EXPIRY_MS.
 *
 * Memory: about 0.7 KB per key (see README); `maxKeys` bounds it.
 */
export class LocalIdempotencyStore implements IdempotencyStore {
  /** In claim order (a key claimed again moves to the end), which the expiry sweep relies on. */
  private readonly entries = new Map<string, IdemEntry>();
  private liveBytes = 0;
  private readonly journal: IdempotencyJournal;
  private sweeper: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: LocalIdempotencyOptions) {
    this.journal = new IdempotencyJournal({
      dir: opts.dir,
      fs: opts.fs ?? nodeJournalFs,
      logger: opts.logger,
      now: opts.now,
      snapshot: () => this.snapshot(),
      liveBytes: () => this.liveBytes,
      compactRatio: COMPACT_RATIO,
      compactMinBytes: opts.compactMinBytes ?? COMPACT_MIN_BYTES,
      lingerMs: opts.journalLingerMs,
    });
  }

  /** Replays the journal (dropping expired keys, marking pending claims orphaned) and opens it. */
  static async open(opts: LocalIdempotencyOptions): Promise<LocalIdempotencyStore> {
    const store = new LocalIdempotencyStore(opts);
    await store.start();
    return store;
  }

  private async start(): Promise<void> {
    const now = this.opts.now();
    const { tornBytes } = await this.journal.replay((payload) => {
      const op = decodeOp(payload);
      if (!op) return false;
      if (op.op === 'put' && !this.expired(op.entry, now)) {
        if (op.entry.state === 'pending') op.entry.orphaned = true;
        this.put(op.mapKey, op.entry);
      } else {
        this.drop(op.mapKey);
      }
      return true;
    });
    let orphaned = 0;
    for (const e of this.entries.values()) if (e.orphaned) orphaned++;
    this.opts.logger.info(
      { keys: this.entries.size, orphaned, journalBytes: this.journal.sizeBytes, tornBytes },
      'idempotency journal replayed',
    );
    await this.journal.open();
    this.sweeper = setInterval(() => this.sweep(), this.opts.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Keys held, journal size and the live records' share of it (for tests and status). */
  stats(): { keys: number; journalBytes: number; liveBytes: number } {
    return { keys: this.entries.size, journalBytes: this.journal.sizeBytes, liveBytes: this.liveBytes };
  }

  async claim(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const k = mapKeyOf(record);
    const held = this.entries.get(k);
    // Like DynamoDB's condition: an expired record no longer holds its key.
    if (held && !this.expired(held, Date.parse(record.createdAt))) return recordOf(k, held);
    if (!held && this.entries.size >= this.opts.maxKeys) {
      this.sweep();
      if (this.entries.size >= this.opts.maxKeys) throw this.full();
    }
    await this.write(k, record, undefined);
    return undefined;
  }

  async takeOver(stale: IdempotencyRecord, next: IdempotencyRecord): Promise<boolean> {
    const k = mapKeyOf(stale);
    const held = this.entries.get(k);
    if (!held || held.state !== 'pending' || !holds(held, stale)) return false;
    await this.write(k, next, held);
    return true;
  }

  async complete(record: IdempotencyRecord): Promise<boolean> {
    const k = mapKeyOf(record);
    const held = this.entries.get(k);
    if (!held || !holds(held, record)) return false;
    await this.write(k, record, held);
    return true;
  }

  release(record: IdempotencyRecord): Promise<void> {
    const k = mapKeyOf(record);
    const held = this.entries.get(k);
    if (held && held.state === 'pending' && holds(held, record)) {
      this.drop(k);
      this.journal.append(encodeDelete(record));
    }
    return Promise.resolve();
  }

  /** Resolves once everything written so far is on disk (see IdempotencyJournal.sync). */
  sync(): Promise<void> {
    return this.journal.sync();
  }

  /**
   * Puts back a claim found in a stored batch's log entry at recovery: the journal may have lost it,
   * since claims are not synced before their batch is (claimsRideWithBatches). Kept unless the journal
   * holds the key with a claim as recent or newer, or the claim has expired; orphaned, like every
   * pending claim the journal replays, since its request died with the previous process.
   */
  restore(tenant: string, stream: string, claim: BatchClaim, batchId: string): void {
    const record: IdempotencyRecord = { tenant, stream, ...claim, state: 'pending', batchId };
    const k = mapKeyOf(record);
    const held = this.entries.get(k);
    const createdMs = Date.parse(claim.createdAt);
    if (!Number.isFinite(createdMs) || (held && held.createdMs >= createdMs)) return;
    const { entry, frame } = encodePut(record);
    if (this.expired(entry, this.opts.now())) return;
    entry.orphaned = true;
    this.put(k, entry);
    this.journal.append(frame);
  }

  /** Stops the sweep and syncs the journal. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.journal.close();
  }

  /**
   * Puts `r` under `k` in place of `prev`. A pending record waits for its fdatasync and is undone
   * when that fails (unless someone replaced it meanwhile), unless its batch's log entry makes it
   * durable (claimsRideWithBatches); a result is not waited for.
   */
  private async write(k: string, r: IdempotencyRecord, prev: IdemEntry | undefined): Promise<void> {
    const { entry, frame } = encodePut(r);
    this.put(k, entry);
    if (r.state !== 'pending' || this.opts.claimsRideWithBatches) {
      this.journal.append(frame);
      return;
    }
    try {
      await this.journal.appendDurable(frame);
    } catch (err) {
      if (this.entries.get(k) === entry) {
        this.drop(k);
        if (prev) this.put(k, prev);
      }
      throw err;
    }
  }

  /**
   * Sets `k` to `e`. A record with a new claim time moves to the end of the map (claim order); a result
   * or an undone write keeps its place.
   */
  private put(k: string, e: IdemEntry): void {
    const old = this.entries.get(k);
    if (old) {
      this.liveBytes -= old.bytes;
      if (old.createdMs !== e.createdMs) this.entries.delete(k);
    }
    this.entries.set(k, e);
    this.liveBytes += e.bytes;
  }

  private drop(k: string): void {
    const e = this.entries.get(k);
    if (!e) return;
    this.entries.delete(k);
    this.liveBytes -= e.bytes;
  }

  private expired(e: IdemEntry, atMs: number): boolean {
    return e.createdMs + this.opts.retentionMs < atMs;
  }

  /**
   * Drops expired keys from the front of the map, stopping at the first live one: the map is in claim
   * order, so what follows is younger. (A request's clock may disagree by a little, which only delays
   * a key's removal to a later sweep; claims check expiry for themselves.)
   */
  private sweep(): void {
    const now = this.opts.now();
    for (const [k, e] of this.entries) {
      if (!this.expired(e, now)) break;
      this.drop(k);
    }
    this.journal.compactIfDue();
  }

  private full(): OverloadedError {
    const oldest = this.entries.values().next().value;
    const untilExpiry = oldest ? (oldest.createdMs + this.opts.retentionMs - this.opts.now()) / 1000 : 1;
    const retryAfter = Math.min(FULL_RETRY_MAX_S, Math.max(1, Math.ceil(untilExpiry)));
    this.opts.logger.warn({ maxKeys: this.opts.maxKeys }, 'idempotency store full: refusing new keys');
    return new OverloadedError(
      `This server holds its limit of ${this.opts.maxKeys} Idempotency-Keys from the last ` +
        `${Math.round(this.opts.retentionMs / 3_600_000)} h; retry once older keys expire.`,
      retryAfter,
    );
  }

  /**
   * The live state as journal frames: the entries are fixed when the rewrite starts reading, and
   * encoded as it writes. Changes after that have frames queued behind the rewrite, appended after it.
   */
  private *snapshot(): Iterable<Buffer> {
    const now = this.opts.now();
    const live = [...this.entries].filter(([, e]) => !this.expired(e, now));
    for (const [k, e] of live) yield entryFrame(k, e);
  }
}

/** True when `held` is the claim `r` read: the same token, or for a tokenless record the same document. */
function holds(held: IdemEntry, r: IdempotencyRecord): boolean {
  if (held.token !== undefined || r.token !== undefined) return held.token === r.token;
  return (
    held.fingerprint === r.fingerprint &&
    held.createdAt === r.createdAt &&
    held.state === r.state &&
    held.batchId === r.batchId
  );
}

/** The store's directory under the data dir. */
export const idempotencyDir = (dataDir: string): string => path.join(dataDir, 'idempotency');
