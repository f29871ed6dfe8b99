import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type {
  Counters,
  IngestBatch,
  LakeObject,
  LoadedObject,
  LoadTarget,
  Metrics,
  MinutePoint,
} from '../../../api/ports.js';
import type { Stream } from '../../../api/domain/streams/types.js';
import { nodeLogFs, type LocalDeliveryOptions } from '../../../api/adapters/local/index.js';
import { batchOfLines } from '../../support/ndjson.js';

export { silentLogger } from '../../support/logger.js';
export { tempDir } from '../../support/temp-dir.js';

const MiB = 1024 * 1024;

/**
 * The settings local delivery tests run with unless they say otherwise: the values the adapter used
 * to default to before the composition root resolved them (api/compose/local.ts).
 */
export const testDeliveryDefaults = {
  now: Date.now,
  logFs: nodeLogFs,
  segmentBytes: 64 * MiB,
  maxUnloadedBytes: 128 * MiB,
  maxQueueBytes: 64 * MiB,
  maxQueueEntries: 20_000,
  admitWaitMs: 100,
  drainTimeoutMs: 30_000,
  loadConcurrency: 1,
  retryBaseMs: 250,
  retryMaxMs: 30_000,
  refreshRetryMs: 5_000,
  receiptRetentionMs: 24 * 3_600_000,
  maxReceiptsInMemory: 20_000,
} satisfies Partial<LocalDeliveryOptions>;

/** In-memory Metrics that just sums what it is given. */
export class SumMetrics implements Metrics {
  readonly totals = new Map<string, Partial<Counters>>();
  add(tenant: string, stream: string, delta: Partial<Counters>): void {
    const k = `${tenant}/${stream}`;
    const t = this.totals.get(k) ?? {};
    for (const [name, v] of Object.entries(delta) as [keyof Counters, number][]) t[name] = (t[name] ?? 0) + v;
    this.totals.set(k, t);
  }
  get(tenant: string, stream: string, name: keyof Counters): number {
    return this.totals.get(`${tenant}/${stream}`)?.[name] ?? 0;
  }
  async series(): Promise<MinutePoint[]> {
    return [];
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

interface HistoryRow {
  key: string;
  loadedAt: string;
  kind: string;
  lines: string[];
}

/**
 * A LoadTarget test double: each loaded object gets one history file (rows + load time) written
 * atomically, so a key's presence in the history and its rows appear together, as in the warehouse's
 * transaction. A group is read in full before anything is written, so a failing group writes nothing.
 */
export class FileLoadTarget implements LoadTarget {
  /** loadObjects calls, failed ones included. */
  calls = 0;
  /** The keys of every loadObjects call, in call order. */
  readonly groups: string[][] = [];
  /** Fail this many loads before succeeding. */
  failures = 0;
  /** A load holding any of these keys fails (a bad object). */
  readonly badKeys = new Set<string>();
  /** While set, loads wait for it first (to let objects pile up behind a running load). */
  gate: Promise<void> | undefined;
  /** When it answers an error for a group, loadObjects throws it (after counting the call). */
  fail: ((objs: LakeObject[]) => Error | undefined) | undefined;
  /** Lines holding this text are refused by salvageObject (which loads the rest). */
  badLineMarker = 'BAD';
  /** Keys salvageObject was called with, in order. */
  readonly salvaged: string[] = [];
  /** When set, salvageObject throws it. */
  salvageError: Error | undefined;
  constructor(readonly dir: string) {}

  private file(key: string): string {
    return path.join(this.dir, `${encodeURIComponent(key)}.json`);
  }

  async loadObjects(objs: LakeObject[], _stream: Stream): Promise<LoadedObject[]> {
    this.calls++;
    this.groups.push(objs.map((o) => o.key));
    if (this.gate) await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('warehouse unavailable');
    }
    const bad = objs.find((o) => this.badKeys.has(o.key));
    if (bad) throw new Error(`bad object ${bad.key}`);
    const injected = this.fail?.(objs);
    if (injected) throw injected;
    await fs.mkdir(this.dir, { recursive: true });
    const rows: HistoryRow[] = [];
    for (const obj of objs) {
      const raw = await fs.readFile(obj.path);
      const text = (obj.key.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
      const lines = text.split('\n').filter((l) => l.length > 0);
      rows.push({ key: obj.key, loadedAt: new Date().toISOString(), kind: obj.kind, lines });
    }
    const results: LoadedObject[] = [];
    for (const row of rows) {
      const published = await this.publish(row);
      results.push({ key: row.key, rows: published ? row.lines.length : 0, alreadyLoaded: !published });
    }
    return results;
  }

  /** Loads every line but those holding `badLineMarker`, reporting those per batch as failed. */
  async salvageObject(obj: LakeObject, _stream: Stream): Promise<LoadedObject> {
    this.salvaged.push(obj.key);
    if (this.salvageError) throw this.salvageError;
    await fs.mkdir(this.dir, { recursive: true });
    const raw = await fs.readFile(obj.path);
    const text = (obj.key.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const all = text.split('\n').filter((l) => l.length > 0);
    const lines = all.filter((l) => !l.includes(this.badLineMarker));
    const failedBatches: Record<string, number> = {};
    for (const l of all) {
      if (!l.includes(this.badLineMarker)) continue;
      const b = (JSON.parse(l) as { _batch_id: string })._batch_id;
      failedBatches[b] = (failedBatches[b] ?? 0) + 1;
    }
    const published = await this.publish({
      key: obj.key,
      loadedAt: new Date().toISOString(),
      kind: obj.kind,
      lines,
    });
    if (!published) return { key: obj.key, rows: 0, alreadyLoaded: true };
    return {
      key: obj.key,
      rows: lines.length,
      alreadyLoaded: false,
      failed: all.length - lines.length,
      failedBatches,
    };
  }

  /** False when the key is already in the history. */
  private async publish(row: HistoryRow): Promise<boolean> {
    const file = this.file(row.key);
    if (await exists(file)) return false;
    const tmp = `${file}.${process.pid}.${Math.random()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(row));
    // Exclusive publication: link fails if another load of the same key won the race.
    try {
      await fs.link(tmp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async history(): Promise<HistoryRow[]> {
    let names: string[] = [];
    try {
      names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    return Promise.all(
      names.map(async (n) => JSON.parse(await fs.readFile(path.join(this.dir, n), 'utf8')) as HistoryRow),
    );
  }

  async loadedKeys(tenant: string): Promise<Set<string>> {
    return new Set((await this.history()).map((h) => h.key).filter((k) => k.includes(`/tenant=${tenant}/`)));
  }

  async loadedAt(_tenant: string, keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const k of keys) {
      try {
        out.set(k, (JSON.parse(await fs.readFile(this.file(k), 'utf8')) as HistoryRow).loadedAt);
      } catch {
        // not loaded
      }
    }
    return out;
  }

  /** Every loaded line's _id (raw) or _batch_id:_index (quarantine), with repeats. */
  async loadedIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const h of await this.history()) {
      for (const l of h.lines) {
        const r = JSON.parse(l) as { _id?: string; _batch_id: string; _index: number };
        ids.push(r._id ?? `q:${r._batch_id}:${r._index}`);
      }
    }
    return ids;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

export function testStream(tenant: string, name: string): Stream {
  const now = '2026-11-26T12:00:00.000Z';
  return {
    tenant,
    name,
    version: 1,
    createdAt: now,
    updatedAt: now,
    revision: 1,
    schema: { type: 'object', properties: {} },
    piiFields: [],
    clusterBy: [],
    compatibility: 'BACKWARD',
    buffering: { intervalSeconds: 60, sizeMiB: 5 },
  };
}

let seq = 0;

/** A batch of `n` records (and `rejects` rejects) serialized as ingest would. */
export function makeBatch(
  opts: {
    tenant?: string;
    stream?: string;
    n?: number;
    rejects?: number;
    intervalSeconds?: number;
    sizeMiB?: number;
    pad?: number;
    batchId?: string;
  } = {},
): IngestBatch {
  const tenant = opts.tenant ?? 'acme';
  const stream = opts.stream ?? 'orders';
  const batchId = opts.batchId ?? `b${process.pid}x${Date.now()}x${++seq}`;
  const receivedAt = new Date().toISOString();
  const filler = 'x'.repeat(opts.pad ?? 100);
  const records: string[] = [];
  for (let i = 0; i < (opts.n ?? 3); i++) {
    records.push(
      JSON.stringify({
        _tenant: tenant,
        _stream: stream,
        _id: `${batchId}-${i}`,
        _batch_id: batchId,
        _index: i,
        _received_at: receivedAt,
        _schema_version: 1,
        record: { i, filler, note: 'line\nbreak' },
      }),
    );
  }
  const rejects: string[] = [];
  for (let i = 0; i < (opts.rejects ?? 0); i++) {
    rejects.push(
      JSON.stringify({
        _tenant: tenant,
        _stream: stream,
        _batch_id: batchId,
        _index: 1000 + i,
        _received_at: receivedAt,
        _schema_version: 1,
        record: { bad: true },
        errors: [{ path: '/x', message: 'required' }],
      }),
    );
  }
  const buffering = { intervalSeconds: opts.intervalSeconds ?? 60, sizeMiB: opts.sizeMiB ?? 5 };
  return batchOfLines({ tenant, stream, batchId, receivedAt, buffering }, records, rejects);
}

/** Every file under dir, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
