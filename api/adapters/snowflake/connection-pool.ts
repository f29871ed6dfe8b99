/**
 * Open sessions, one per tenant, bounded: least recently used beyond `maxSize` and anything idle for
 * `idleMs` is closed. Idleness is judged when the pool is used rather than by a timer, because a Lambda
 * container is frozen between invocations and its timers do not run; a sweep on the next use closes what
 * went idle meanwhile. A session in use is never closed under its user: eviction retires it, and it closes
 * when its last user is done.
 */

export interface Closeable {
  close(): Promise<void>;
}

export interface ConnectionPoolOptions {
  /** Sessions kept open at most (more only while all of them are in use). */
  maxSize: number;
  /** A session unused this long is closed on the next use of the pool. */
  idleMs: number;
  now?: () => number;
}

interface Entry<C> {
  /** Identifies what the session was opened for; a different one (a new binding) replaces the session. */
  version: string;
  conn: Promise<C>;
  busy: number;
  lastUsed: number;
  retired: boolean;
}

export class ConnectionPool<C extends Closeable> {
  /** Map order is recency order: an entry is moved to the end whenever it is used. */
  private readonly entries = new Map<string, Entry<C>>();
  private readonly now: () => number;
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly opts: ConnectionPoolOptions) {
    if (!(opts.maxSize >= 1)) throw new Error('ConnectionPool: maxSize must be at least 1');
    this.now = opts.now ?? Date.now;
  }

  /** Sessions open or opening. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `fn` on the session of `key` opened for `version`, opening it with `open` when there is none (or
   * the one there was opened for another version). A failed open is forgotten, so the next use tries again.
   */
  async use<T>(
    key: string,
    version: string,
    open: () => Promise<C>,
    fn: (conn: C) => Promise<T>,
  ): Promise<T> {
    this.sweepIdle();
    let entry = this.entries.get(key);
    if (entry && entry.version !== version) {
      this.retire(key, entry);
      entry = undefined;
    }
    if (!entry) {
      const fresh: Entry<C> = { version, conn: open(), busy: 0, lastUsed: this.now(), retired: false };
      fresh.conn.catch(() => {
        if (this.entries.get(key) === fresh) this.entries.delete(key);
      });
      entry = fresh;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.busy++;
    this.evictOverflow();
    try {
      return await fn(await entry.conn);
    } finally {
      entry.busy--;
      entry.lastUsed = this.now();
      if (entry.retired && entry.busy === 0) this.closeEntry(entry);
      this.evictOverflow();
    }
  }

  /** Closes every session now (in-use ones included: the pool is being shut down). */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) this.closeEntry(e);
    await Promise.all([...this.closing]);
  }

  private sweepIdle(): void {
    const cutoff = this.now() - this.opts.idleMs;
    for (const [key, e] of this.entries) if (e.busy === 0 && e.lastUsed <= cutoff) this.retire(key, e);
  }

  private evictOverflow(): void {
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.opts.maxSize) return;
      if (e.busy === 0) this.retire(key, e);
    }
  }

  private retire(key: string, e: Entry<C>): void {
    if (this.entries.get(key) === e) this.entries.delete(key);
    e.retired = true;
    if (e.busy === 0) this.closeEntry(e);
  }

  private closeEntry(e: Entry<C>): void {
    // A session that never opened has nothing to close; a failed logout leaves nothing on our side.
    const done: Promise<void> = e.conn
      .then((c) => c.close())
      .catch(() => undefined)
      .finally(() => this.closing.delete(done));
    this.closing.add(done);
  }
}
