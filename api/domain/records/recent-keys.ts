export interface RecentKeysOptions {
  /** Ids remembered per stream before the least recently seen is forgotten. */
  perStream?: number;
  /** Streams remembered before the least recently used stream is forgotten. */
  maxStreams?: number;
  /** Ids remembered across all streams; bounds memory (~80 bytes an id) whatever the stream mix. */
  maxTotal?: number;
}

/**
 * A bounded, best-effort memory of recently seen dedupe ids, for the `duplicates` count in ingest
 * responses. It gives producers a visible duplicate rate; correctness comes from the deduped layer
 * in the warehouse, so forgetting (eviction, restarts, other instances) is acceptable.
 *
 * Maps and Sets keep insertion order, so delete + re-insert moves an entry to the back and the
 * first entry is always the least recently used. The oldest id is found with an iterator kept per
 * stream rather than a fresh `values().next()`: V8 leaves deleted entries as holes until it rehashes,
 * and a fresh iterator walks every hole from the start, so evicting one id per insert cost tens of
 * thousands of steps each at 100k ids (half the CPU of a 10,000 records/s dedupe stream). A live
 * iterator only ever moves forward past what it already returned, and everything it returned was
 * deleted, so its next entry is the oldest: every operation is amortized O(1).
 */
export class RecentKeys {
  private readonly perStream: number;
  private readonly maxStreams: number;
  private readonly maxTotal: number;
  private readonly streams = new Map<string, Ids>();
  private total = 0;

  constructor(options: RecentKeysOptions = {}) {
    this.perStream = positive(options.perStream ?? 100_000, 'perStream');
    this.maxStreams = positive(options.maxStreams ?? 64, 'maxStreams');
    this.maxTotal = positive(options.maxTotal ?? 1_000_000, 'maxTotal');
  }

  /** True when `id` was seen recently on this stream; either way it is now the most recent. */
  seen(streamKey: string, id: string): boolean {
    let ids = this.streams.get(streamKey);
    if (ids === undefined) {
      ids = new Ids();
      this.streams.set(streamKey, ids);
      if (this.streams.size > this.maxStreams) this.forgetOldestStream();
    } else {
      this.streams.delete(streamKey);
      this.streams.set(streamKey, ids);
    }
    if (ids.set.delete(id)) {
      ids.set.add(id);
      return true;
    }
    ids.set.add(id);
    this.total++;
    if (ids.set.size > this.perStream) this.forgetOldestId(streamKey, ids);
    while (this.total > this.maxTotal) {
      const [oldestKey, oldestIds] = this.streams.entries().next().value as [string, Ids];
      this.forgetOldestId(oldestKey, oldestIds);
    }
    return false;
  }

  /** Ids currently remembered, across all streams. */
  get size(): number {
    return this.total;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  private forgetOldestStream(): void {
    const [key, ids] = this.streams.entries().next().value as [string, Ids];
    this.streams.delete(key);
    this.total -= ids.set.size;
  }

  private forgetOldestId(streamKey: string, ids: Ids): void {
    ids.set.delete(ids.oldest());
    this.total--;
    if (ids.set.size === 0) this.streams.delete(streamKey);
  }
}

/** One stream's ids, in least-recently-seen order, with the cursor that finds the oldest. */
class Ids {
  readonly set = new Set<string>();
  private cursor: Iterator<string> = this.set.values();

  /** The least recently seen id; the caller deletes it before asking again. Not for an empty set. */
  oldest(): string {
    let next = this.cursor.next();
    if (next.done) {
      // An exhausted iterator stays exhausted, even for entries added later.
      this.cursor = this.set.values();
      next = this.cursor.next();
    }
    return next.value as string;
  }
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`RecentKeys ${name} must be a positive integer, got ${n}`);
  return n;
}
