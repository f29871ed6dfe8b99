import type { Logger } from 'pino';
import { LoadDataError, ResourceExhaustedError } from '../../domain/errors.js';
import type {
  LakeObject,
  LoadedObject,
  LoadFailure,
  LoadFailureKind,
  LoadTarget,
  Metrics,
} from '../../ports.js';
import type { Stream } from '../../domain/streams/types.js';

export interface LoaderOptions {
  target: LoadTarget;
  getStream: (tenant: string, name: string) => Promise<Stream | undefined>;
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
  /** `result.failed` lines were refused by the warehouse and quarantined (salvaged objects). */
  onLoaded(obj: LakeObject, loadedAt: string, result: LoadedObject): void;
  onError(obj: LakeObject, at: string, message: string): void;
}

interface Job {
  obj: LakeObject;
  attempts: number;
  timer?: NodeJS.Timeout;
  /** Set once a group holding this job failed: from then on it loads alone, so it cannot hold others back. */
  solo: boolean;
  /** While failing: when it first failed and why it last did. */
  failing?: { since: number; kind: LoadFailureKind; message: string };
}

const DEFAULT_GROUP_OBJECTS = 64;
const DEFAULT_GROUP_BYTES = 64 * 1024 * 1024;
/** Successful loads at a reduced group size before the size doubles again. */
const REGROW_AFTER = 16;

/** How a load failure is handled: data is salvaged, resources shrink groups, everything is retried. */
export function failureKind(err: unknown): LoadFailureKind {
  if (err instanceof LoadDataError) return 'data';
  if (err instanceof ResourceExhaustedError) return 'resource';
  return 'dependency';
}

/**
 * Snowpipe-style loader: consumes object-created notifications and loads objects into the target.
 * A load takes the next ready object plus every other ready one of the same tenant and stream (up to
 * the group caps) in one call, because one big insert costs far less per row than many small ones; at
 * low rates groups are single objects, so nothing waits. Exactly-once is the target's load history;
 * here a notification for an object already queued, running or waiting to retry is simply absorbed.
 *
 * No object can hold back another: a failed group is retried one object at a time at once. An object
 * the warehouse refuses for its data is salvaged (good lines loaded, bad lines quarantined), so it
 * never fails twice for the same reason. Dependency failures (disk, a locked or corrupt database,
 * memory) retry with backoff forever and are reported per stream (`failure`); memory and resource
 * failures also halve the group size for a while.
 */
export class Loader {
  private readonly jobs = new Map<string, Job>();
  private readonly ready: Job[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly failing = new Set<Job>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private readonly maxGroupObjects: number;
  private readonly maxGroupBytes: number;
  /** Group caps are divided by this after resource failures, and multiplied back as loads succeed. */
  private shrink = 1;
  private successesSinceShrink = 0;

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

  /** The current most objects per group (lower after resource failures). */
  get groupObjects(): number {
    return Math.max(1, Math.floor(this.maxGroupObjects / this.shrink));
  }

  /** The stream's longest-failing object, or undefined while every object of it loads. */
  failure(tenant: string, stream: string): LoadFailure | undefined {
    let worst: Job | undefined;
    for (const job of this.failing) {
      if (job.obj.tenant !== tenant || job.obj.stream !== stream || !job.failing) continue;
      if (!worst || job.failing.since < worst.failing!.since) worst = job;
    }
    if (!worst?.failing) return undefined;
    return {
      since: new Date(worst.failing.since).toISOString(),
      attempts: worst.attempts,
      kind: worst.failing.kind,
      message: worst.failing.message,
      object: worst.obj.key,
    };
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
    const maxObjects = this.groupObjects;
    const maxBytes = this.maxGroupBytes / this.shrink;
    let bytes = first.obj.bytes;
    for (let i = 0; i < this.ready.length && group.length < maxObjects;) {
      const job = this.ready[i];
      const { obj } = job;
      if (
        !job.solo &&
        obj.tenant === first.obj.tenant &&
        obj.stream === first.obj.stream &&
        bytes + obj.bytes <= maxBytes
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
    let stream: Stream | undefined;
    try {
      stream = await this.opts.getStream(tenant, name);
      if (!stream) throw new Error(`stream ${tenant}/${name} not found`);
      const results = await this.opts.target.loadObjects(
        group.map((j) => j.obj),
        stream,
      );
      if (results.length !== group.length)
        throw new Error(`load target answered ${results.length} results for ${group.length} objects`);
      group.forEach((job, i) => this.loaded(job, results[i]));
      this.regrow();
    } catch (err) {
      const kind = failureKind(err);
      if (kind === 'resource') this.shrinkGroups(err);
      if (group.length > 1) {
        // Any one object can fail the whole group; retrying each alone right away loads the good
        // ones and leaves the error, its count and its backoff to the object that causes it.
        this.opts.logger.warn(
          { err, kind, objects: group.length, first: group[0].obj.key },
          'group load failed; retrying its objects one by one',
        );
        for (const job of group) job.solo = true;
        if (!this.closed) this.ready.unshift(...group);
        return;
      }
      const [job] = group;
      if (kind === 'data' && stream && this.opts.target.salvageObject) {
        await this.salvage(job, stream, err);
        return;
      }
      this.failed(job, err, kind);
    }
  }

  /** Loads the good lines of an object refused for its data and quarantines the rest. */
  private async salvage(job: Job, stream: Stream, cause: unknown): Promise<void> {
    this.opts.logger.warn(
      { err: cause, object: job.obj.key },
      'the warehouse refused an object for its data; loading its good lines and quarantining the bad ones',
    );
    try {
      const result = await this.opts.target.salvageObject!(job.obj, stream);
      this.loaded(job, result);
    } catch (err) {
      const kind = failureKind(err);
      if (kind === 'resource') this.shrinkGroups(err);
      this.failed(job, err, kind);
    }
  }

  private loaded(job: Job, result: LoadedObject): void {
    const { obj } = job;
    const { tenant, stream } = obj;
    const at = new Date(this.opts.now()).toISOString();
    // loadedRows is comparable with accepted: quarantine loads are not counted.
    if (result.rows > 0 && obj.kind === 'raw')
      this.opts.metrics.add(tenant, stream, { loadedRows: result.rows });
    if (result.failed) this.opts.metrics.add(tenant, stream, { loadFailed: result.failed });
    if (result.alreadyLoaded) this.opts.logger.debug({ object: obj.key }, 'object was already loaded');
    if (job.timer) clearTimeout(job.timer);
    this.failing.delete(job);
    this.jobs.delete(obj.key);
    this.opts.onLoaded(obj, at, result);
    if (this.jobs.size === 0) this.wakeIdle();
  }

  private failed(job: Job, err: unknown, kind: LoadFailureKind): void {
    const { obj } = job;
    job.attempts++;
    const message = err instanceof Error ? err.message : String(err);
    const now = this.opts.now();
    job.failing = { since: job.failing?.since ?? now, kind, message };
    this.failing.add(job);
    const at = new Date(now).toISOString();
    this.opts.metrics.add(obj.tenant, obj.stream, { loadErrors: 1 });
    this.opts.onError(obj, at, message);
    const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (job.attempts - 1));
    const jittered = Math.round(delay * (0.5 + Math.random() / 2));
    const log = { err, kind, object: obj.key, attempts: job.attempts, retryInMs: jittered };
    // The first failures may be passing; an object that keeps failing is an operator's problem.
    if (job.attempts >= 3) this.opts.logger.error(log, 'load keeps failing; will retry');
    else this.opts.logger.warn(log, 'load failed; will retry');
    if (this.closed) return;
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.ready.push(job);
      this.pump();
    }, jittered);
    job.timer.unref();
  }

  /** Halves the group caps (down to single objects) after a memory or resource failure. */
  private shrinkGroups(err: unknown): void {
    this.successesSinceShrink = 0;
    if (this.groupObjects === 1 && this.shrink >= this.maxGroupObjects) return;
    this.shrink = Math.min(this.shrink * 2, Math.max(1, this.maxGroupObjects));
    this.opts.logger.warn(
      { err, groupObjects: this.groupObjects, groupBytes: Math.round(this.maxGroupBytes / this.shrink) },
      'the warehouse ran out of a resource; loading smaller groups for a while',
    );
  }

  private regrow(): void {
    if (this.shrink === 1 || ++this.successesSinceShrink < REGROW_AFTER) return;
    this.successesSinceShrink = 0;
    this.shrink /= 2;
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
