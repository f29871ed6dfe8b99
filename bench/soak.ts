/**
 * `npm run soak`: a constant ingest rate into a dedupe + entity stream for a given time, on the real
 * embedded stack in its own process. Samples the server's RSS, open files and lag, counts every answer,
 * and at the end waits until every acknowledged record is in raw. Not part of `npm test`.
 *
 * Settings (environment): SOAK_SECONDS (7200), SOAK_RATE records/s (10000), SOAK_BATCH records per
 * request (100), SOAK_RECORD_BYTES (200), SOAK_SAMPLE_SECONDS (10), SOAK_DIR (a fresh temp dir; put it
 * on a fresh file system for long runs), SOAK_PRIORITY (a nice value for the server and this process,
 * e.g. -10 on a shared machine; needs root), SOAK_NODE_ARGS (extra node flags for the server, e.g.
 * --cpu-prof), SOAK_LOG_LEVEL (warn), SOAK_WRITE=0 (do not update BENCHMARKS.md).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startServer, type ServerProcess } from './server-process.js';
import { makeBatch, STREAM_SCHEMA } from './records.js';
import { readMemory } from './rss.js';
import { percentile, slopePerSecond } from './stats.js';
import { renderSoak, SOAK_END, SOAK_START, type SoakResult, type SoakSample } from './soak-report.js';

const env = (name: string, fallback: number) => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${v}`);
  return n;
};
const SECONDS = env('SOAK_SECONDS', 7200);
const RATE = env('SOAK_RATE', 10_000);
const BATCH = Math.max(1, Math.floor(env('SOAK_BATCH', 100)));
const RECORD_BYTES = env('SOAK_RECORD_BYTES', 200);
const SAMPLE_SECONDS = env('SOAK_SAMPLE_SECONDS', 10);
const MAX_IN_FLIGHT = 256;
const FINAL_WAIT_MS = 10 * 60_000;
const TENANT = 'soak';
const STREAM = 'events';

const log = (msg: string) => console.log(`[soak ${new Date().toISOString()}] ${msg}`);

async function openFiles(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`).catch(() => [])).length;
}

class Api {
  constructor(
    readonly url: string,
    public key: string,
  ) {}

  async call(method: string, p: string, body?: string, key = this.key): Promise<Response> {
    return fetch(`${this.url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body,
      signal: AbortSignal.timeout(60_000),
    });
  }

  async json<T>(method: string, p: string, body?: string, key?: string): Promise<T> {
    const res = await this.call(method, p, body, key);
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async total(layer: 'raw' | 'deduped' | 'entity'): Promise<number> {
    const r = await this.json<{ total: number }>(
      'GET',
      `/v1/tenants/${TENANT}/streams/${STREAM}/records?layer=${layer}&limit=1`,
    );
    return r.total;
  }
}

async function setUp(api: Api, adminKey: string): Promise<string> {
  const t = await api.json<{ key: { secret: string } }>(
    'POST',
    '/v1/tenants',
    JSON.stringify({ name: TENANT }),
    adminKey,
  );
  api.key = t.key.secret;
  await api.json(
    'POST',
    `/v1/tenants/${TENANT}/streams`,
    JSON.stringify({
      name: STREAM,
      schema: STREAM_SCHEMA,
      dedupe: { key: ['id'] },
      entity: { key: ['user'], orderBy: 'ts' },
    }),
  );
  const producer = await api.json<{ secret: string }>(
    'POST',
    `/v1/tenants/${TENANT}/keys`,
    JSON.stringify({ name: 'soak-producer', role: 'producer', streams: [STREAM] }),
  );
  return producer.secret;
}

/** Rows in the deduped and entity views, and the distinct keys they must equal, read from the file. */
async function countLayers(
  file: string,
): Promise<{ deduped: number; entity: number; distinctIds: number; distinctUsers: number }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY', memory_limit: '8GB' });
  try {
    const c = await instance.connect();
    const one = async (sql: string) => Number((await c.runAndReadAll(sql)).getRows()[0]?.[0]);
    return {
      deduped: await one(`SELECT count(*) FROM deduped.${STREAM}`),
      entity: await one(`SELECT count(*) FROM entity.${STREAM}`),
      distinctIds: await one(`SELECT count(DISTINCT id) FROM raw.${STREAM}`),
      distinctUsers: await one(`SELECT count(DISTINCT "user") FROM raw.${STREAM}`),
    };
  } finally {
    instance.closeSync();
  }
}

async function main(): Promise<void> {
  const priority = process.env.SOAK_PRIORITY ? Number(process.env.SOAK_PRIORITY) : undefined;
  if (priority !== undefined) os.setPriority(priority);
  const dataDir = process.env.SOAK_DIR || (await mkdtemp(path.join(os.tmpdir(), 'tributary-soak-')));
  const adminKey = `soak-admin-${Date.now()}-0123456789abcdef`;
  log(`data dir ${dataDir}; ${RATE} records/s in requests of ${BATCH} for ${SECONDS} s`);
  let server: ServerProcess | undefined;
  try {
    server = await startServer({
      dataDir,
      adminKey,
      logLevel: process.env.SOAK_LOG_LEVEL || 'warn',
      nodeArgs: (process.env.SOAK_NODE_ARGS ?? '').split(' ').filter(Boolean),
    });
    if (priority !== undefined) os.setPriority(server.pid, priority);
    const api = new Api(server.url, '');
    const producerKey = await setUp(api, adminKey);
    const ingestUrl = `${server.url}/v1/tenants/${TENANT}/streams/${STREAM}/records`;

    const statuses = new Map<string, number>();
    const latencies: number[] = [];
    let acked = 0;
    let inFlight = 0;
    let skipped = 0;
    let seq = 0;
    const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);

    const send = async () => {
      const body = makeBatch(BATCH, RECORD_BYTES, 'soak', seq);
      seq += BATCH;
      inFlight++;
      const t0 = performance.now();
      try {
        const res = await fetch(ingestUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${producerKey}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(60_000),
        });
        const text = await res.text();
        count(String(res.status));
        if (res.status === 200) {
          acked += (JSON.parse(text) as { accepted: number }).accepted;
          if (latencies.length < 2_000_000) latencies.push(performance.now() - t0);
        }
      } catch (err) {
        count(`error: ${(err as Error).name}`);
      } finally {
        inFlight--;
      }
    };

    const samples: SoakSample[] = [];
    const started = Date.now();
    const sample = async () => {
      const mem = await readMemory(server!.pid);
      const m = await api
        .json<{ lagSeconds: number; pendingRecords: number; oldestUnloadedAgeSeconds?: number }>(
          'GET',
          `/v1/tenants/${TENANT}/streams/${STREAM}/metrics?minutes=5`,
        )
        .catch(() => undefined);
      const s: SoakSample = {
        t: (Date.now() - started) / 1000,
        rssMiB: mem ? mem.rssKiB / 1024 : NaN,
        openFiles: await openFiles(server!.pid),
        acked,
        lagSeconds: m?.lagSeconds ?? NaN,
        pendingRecords: m?.pendingRecords ?? NaN,
        status429: statuses.get('429') ?? 0,
      };
      samples.push(s);
      if (samples.length % Math.max(1, Math.round(60 / SAMPLE_SECONDS)) === 0) {
        log(
          `t=${s.t.toFixed(0)} s acked ${acked} rss ${s.rssMiB.toFixed(0)} MiB fds ${s.openFiles} lag ${s.lagSeconds} s pending ${s.pendingRecords} 429s ${s.status429} skipped ${skipped}`,
        );
      }
    };

    // A fixed schedule: request i is due at started + i / requestsPerSecond, whatever the answers do.
    const perSecond = RATE / BATCH;
    const endAt = started + SECONDS * 1000;
    let sent = 0;
    const sampler = setInterval(() => void sample(), SAMPLE_SECONDS * 1000);
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = Date.now();
        if (now >= endAt) return resolve();
        const due = Math.floor(((now - started) / 1000) * perSecond);
        while (sent < due) {
          sent++;
          if (inFlight >= MAX_IN_FLIGHT) skipped++;
          else void send();
        }
        setTimeout(tick, 5);
      };
      tick();
    });
    clearInterval(sampler);
    const loadSeconds = (Date.now() - started) / 1000;
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 50));
    await sample();
    log(`load stopped: ${acked} records acknowledged; waiting for raw`);

    const stopAt = Date.now();
    let raw = 0;
    while (Date.now() - stopAt < FINAL_WAIT_MS) {
      raw = await api.total('raw').catch(() => raw);
      if (raw >= acked) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const loadedAfterSeconds = (Date.now() - stopAt) / 1000;
    const end = await readMemory(server.pid);
    // The layer views over tens of millions of rows need more memory than the server's DuckDB limit
    // allows a read, so the layers are counted from the database file once the server has stopped.
    await server.stop('SIGTERM');
    const layers = await countLayers(path.join(dataDir, 'warehouse', `${TENANT}.duckdb`)).catch(
      (err: unknown) => {
        log(`could not count the layers: ${(err as Error).message}`);
        return { deduped: NaN, entity: NaN, distinctIds: NaN, distinctUsers: NaN };
      },
    );

    const warm = samples.filter((s) => s.t >= Math.min(600, SECONDS / 4));
    const result: SoakResult = {
      at: new Date().toISOString(),
      host: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
      seconds: loadSeconds,
      rate: RATE,
      batch: BATCH,
      recordBytes: RECORD_BYTES,
      requests: sent,
      skipped,
      statuses: Object.fromEntries([...statuses.entries()].sort()),
      acked,
      raw,
      ...layers,
      loadedAfterSeconds,
      allLoaded: raw === acked,
      rssStartMiB: warm[0]?.rssMiB ?? NaN,
      rssEndMiB: end ? end.rssKiB / 1024 : NaN,
      rssMaxMiB: Math.max(...samples.map((s) => s.rssMiB)),
      hwmMiB: end ? end.hwmKiB / 1024 : NaN,
      rssSlopeMiBPerHour: slopePerSecond(warm.map((s) => [s.t, s.rssMiB])) * 3600,
      openFilesStart: warm[0]?.openFiles ?? NaN,
      openFilesEnd: samples.at(-1)?.openFiles ?? NaN,
      openFilesMax: Math.max(...samples.map((s) => s.openFiles)),
      lagMaxSeconds: Math.max(...samples.map((s) => (Number.isFinite(s.lagSeconds) ? s.lagSeconds : 0))),
      lagEndSeconds: samples.at(-1)?.lagSeconds ?? NaN,
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.reduce((a, b) => Math.max(a, b), 0),
      },
      samples,
    };
    const markdown = renderSoak(result);
    console.log(markdown);
    await writeFile(path.join(dataDir, 'soak-result.json'), JSON.stringify(result, null, 2));
    if (process.env.SOAK_WRITE !== '0') {
      const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
      const current = await readFile(file, 'utf8');
      const start = current.indexOf(SOAK_START);
      const stop = current.indexOf(SOAK_END);
      const next =
        start >= 0 && stop > start
          ? current.slice(0, start) + markdown + current.slice(stop + SOAK_END.length)
          : `${current.trimEnd()}\n\n${markdown}`;
      await writeFile(file, next);
      log('wrote the soak section of BENCHMARKS.md');
    }
    if (!result.allLoaded) process.exitCode = 1;
  } finally {
    await server?.stop('SIGTERM');
    if (!process.env.SOAK_DIR && process.env.SOAK_KEEP !== '1')
      await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
