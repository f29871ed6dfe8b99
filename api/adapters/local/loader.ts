import type { Logger } from 'pino';
import type { LakeObject, LoadTarget, Metrics } from '../../ports.js';
import type { Stream } from '../../domain/streams/types.js';

export interface LoaderOptions {
  target: LoadTarget;
  getStream(tenant: string, name: string): Promise<Stream | undefined>;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  /** Loads running at once. */
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Most objects loaded together in one group (default 64). */
  maxGroupObjects?: number;
  /** Most bytes (by LakeObject.bytes) loaded together in one group (default 64 MiB); a bigger object loads alone. */
  maxGroupBytes?: number;
  onLoaded(obj: LakeObject, loadedAt: string, rows: number): void;
  onError(obj: LakeObject, at: string, message: string): void;
}

interface Job {
  obj: LakeObject;
  attempts: number;
  timer?: NodeJS.Timeout;
  /** Set once a group holding this job failed: from then on it loads alone, so it cannot hold others back. */
  solo: boolean;
}

const DEFAULT_GROUP_OBJECTS = 64;
const DEFAULT_GROUP_BYTES = 64 * 1024 * 1024;

/**
 * Snowpipe-style loader: consumes object-created notifications and loads objects into the target.
 * A load takes the next ready object plus every other ready one of the same tenant and stream (up to
 * the group caps) in one call, because one big insert costs far less per row than many small ones; at
 * low rates groups are single objects, so nothing waits. Exactly-once is the target's load history;
 * here a notification for an object already queued, running or waiting to retry is simply absorbed,
 * and failures retry with backoff forever, each object on its own.
 */
export class Loader {
  private readonly jobs = new Map<string, Job>();
  private readonly ready: Job[] = [];
  private readonly running = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly maxGroupObjects: number;
  private readonly maxGroupBytes: number;

  constructor(private readonly opts: LoaderOptions) {
    this.maxGroupObjects = Math.max(1, opts.maxGroupObjects ?? DEFAULT_GROUP_OBJECTS);
    this.maxGroupBytes = opts.maxGroupBytes ?? DEFAULT_GROUP_BYTES;
  }

  /** An object-created notification. Duplicates are allowed. */
  notify(obj: LakeObject): void {
    if (this.closed || this.jobs.has(obj.key)) return;
    const job: Job = { obj, attempts: 0, solo: false };
    this.jobs.set(obj.key, job);
    this.ready.push(job);
    this.pump();
  }

  /** Objects notified and not yet loaded. */
  get pending(): number {
    return this.jobs.size;
  }

  /** Resolves once every notified object is loaded. */
  whenIdle(): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.opts.concurrency && this.ready.length > 0) {
      const group = this.takeGroup();
      const run = this.run(group).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  /** The next ready job and the ready jobs that may join it, removed from the ready queue. */
  private takeGroup(): Job[] {
    const first = this.ready.shift()!;
    if (first.solo) return [first];
    const group = [first];
    let bytes = first.obj.bytes;
    for (let i = 0; i < this.ready.length && group.length < this.maxGroupObjects;) {
      const job = this.ready[i];
      const { obj } = job;
      if (
        !job.solo &&
        obj.tenant === first.obj.tenant &&
        obj.stream === first.obj.stream &&
        bytes + obj.bytes <= this.maxGroupBytes
      ) {
        group.push(job);
        bytes += obj.bytes;
        this.ready.splice(i, 1);
      } else {
        i++;
      }
    }
    return group;
  }

  private async run(group: Job[]): Promise<void> {
    const { tenant, stream: name } = group[0].obj;
    try {
      const stream = await this.opts.getStream(tenant, name);
      if (!stream) throw new Error(`stream ${tenant}/${name} not found`);
      const results = await this.opts.target.loadObjects(
        group.map((j) => j.obj),
        stream,
      );
      if (results.length !== group.length)
        throw new Error(`load target answered ${results.length} results for ${group.length} objects`);
      const at = new Date(this.opts.now()).toISOString();
      group.forEach((job, i) => {
        const { obj } = job;
        const { rows, alreadyLoaded } = results[i];
        // loadedRows is comparable with accepted: quarantine loads are not counted.
        if (rows > 0 && obj.kind === 'raw') this.opts.metrics.add(tenant, name, { loadedRows: rows });
        if (alreadyLoaded) this.opts.logger.debug({ object: obj.key }, 'object was already loaded');
        this.jobs.delete(obj.key);
        this.opts.onLoaded(obj, at, rows);
      });
      if (this.jobs.size === 0) this.wakeIdle();
    } catch (err) {
      if (group.length > 1) {
        // Any one object can fail the whole group; retrying each alone right away loads the good
        // ones and leaves the error, its count and its backoff to the object that causes it.
        this.opts.logger.warn(
          { err, objects: group.length, first: group[0].obj.key },
          'group load failed; retrying its objects one by one',
        );
        for (const job of group) job.solo = true;
        if (!this.closed) this.ready.unshift(...group);
        return;
      }
      this.failed(group[0], err);
    }
  }

  private failed(job: Job, err: unknown): void {
    const { obj } = job;
    job.attempts++;
    const message = err instanceof Error ? err.message : String(err);
    const at = new Date(this.opts.now()).toISOString();
    this.opts.metrics.add(obj.tenant, obj.stream, { loadErrors: 1 });
    this.opts.onError(obj, at, message);
    const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (job.attempts - 1));
    const jittered = Math.round(delay * (0.5 + Math.random() / 2));
    this.opts.logger.warn(
      { err, object: obj.key, attempts: job.attempts, retryInMs: jittered },
      'load failed; will retry',
    );
    if (this.closed) return;
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.ready.push(job);
      this.pump();
    }, jittered);
    job.timer.unref();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Stops retries and waits for loads already running. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.jobs.values()) if (job.timer) clearTimeout(job.timer);
    await Promise.all([...this.running]);
  }
}
