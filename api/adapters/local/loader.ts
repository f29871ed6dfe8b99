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
  onLoaded(obj: LakeObject, loadedAt: string, rows: number): void;
  onError(obj: LakeObject, at: string, message: string): void;
}

interface Job {
  obj: LakeObject;
  attempts: number;
  timer?: NodeJS.Timeout;
}

/**
 * Snowpipe-style loader: consumes object-created notifications and loads each object into the
 * target. Exactly-once is the target's load history; here a notification for an object already
 * queued, running or waiting to retry is simply absorbed, and failures retry with backoff forever.
 */
export class Loader {
  private readonly jobs = new Map<string, Job>();
  private readonly ready: Job[] = [];
  private readonly running = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: LoaderOptions) {}

  /** An object-created notification. Duplicates are allowed. */
  notify(obj: LakeObject): void {
    if (this.closed || this.jobs.has(obj.key)) return;
    const job: Job = { obj, attempts: 0 };
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
      const job = this.ready.shift()!;
      const run = this.run(job).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async run(job: Job): Promise<void> {
    const { obj } = job;
    try {
      const stream = await this.opts.getStream(obj.tenant, obj.stream);
      if (!stream) throw new Error(`stream ${obj.tenant}/${obj.stream} not found`);
      const { rows, alreadyLoaded } = await this.opts.target.loadObject(obj, stream);
      const at = new Date(this.opts.now()).toISOString();
      // loadedRows is comparable with accepted: quarantine loads are not counted.
      if (rows > 0 && obj.kind === 'raw') this.opts.metrics.add(obj.tenant, obj.stream, { loadedRows: rows });
      if (alreadyLoaded) this.opts.logger.debug({ object: obj.key }, 'object was already loaded');
      this.jobs.delete(obj.key);
      this.opts.onLoaded(obj, at, rows);
      if (this.jobs.size === 0) this.wakeIdle();
    } catch (err) {
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
