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
 * first entry is always the least recently used: every operation is O(1).
 */
export class RecentKeys {
  private readonly perStream: number;
  private readonly maxStreams: number;
  private readonly maxTotal: number;
  private readonly streams = new Map<string, Set<string>>();
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
      ids = new Set();
      this.streams.set(streamKey, ids);
      if (this.streams.size > this.maxStreams) this.forgetOldestStream();
    } else {
      this.streams.delete(streamKey);
      this.streams.set(streamKey, ids);
    }
    if (ids.delete(id)) {
      ids.add(id);
      return true;
    }
    ids.add(id);
    this.total++;
    if (ids.size > this.perStream) this.forgetOldestId(streamKey, ids);
    while (this.total > this.maxTotal) {
      const [oldestKey, oldestIds] = this.streams.entries().next().value as [string, Set<string>];
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
    const [key, ids] = this.streams.entries().next().value as [string, Set<string>];
    this.streams.delete(key);
    this.total -= ids.size;
  }

  private forgetOldestId(streamKey: string, ids: Set<string>): void {
    const oldest = ids.values().next().value as string;
    ids.delete(oldest);
    this.total--;
    if (ids.size === 0) this.streams.delete(streamKey);
  }
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`RecentKeys ${name} must be a positive integer, got ${n}`);
  return n;
}
