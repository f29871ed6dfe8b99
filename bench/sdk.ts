import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Tributary } from '../client/index.js';
import { cpuBetween, cpuSnapshot } from './cpu.js';
import { makeBatch, makeRecord, STREAM_SCHEMA } from './records.js';
import {
  renderSdk,
  roundRatios,
  runOrder,
  withSdkSection,
  type SdkBenchResult,
  type SdkRun,
} from './sdk-report.js';
import { REPO_ROOT, startServer, type ServerProcess } from './server-process.js';
import { runWrk, wrkVersion } from './wrk.js';

/**
 * `npm run bench:sdk`: acknowledged records per second of the SDK's producer against wrk's (with and
 * without an Idempotency-Key per request), same server, same batch size, same run. Knobs:
 * SDK_BENCH_SECONDS (10 per run), SDK_BENCH_ROUNDS (3), SDK_BENCH_BATCH (100 records, as bench/ingest.ts), SDK_BENCH_CONNECTIONS
 * (32, wrk), SDK_BENCH_IN_FLIGHT (the producer's maxInFlight; default the connections),
 * SDK_BENCH_GZIP=1, SDK_BENCH_WRITE=0 (do not update BENCHMARKS.md).
 */
const env = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const SECONDS = env('SDK_BENCH_SECONDS', 10);
const ROUNDS = env('SDK_BENCH_ROUNDS', 3);
const CONNECTIONS = env('SDK_BENCH_CONNECTIONS', 32);
const IN_FLIGHT = env('SDK_BENCH_IN_FLIGHT', CONNECTIONS);
const GZIP = process.env.SDK_BENCH_GZIP === '1';
const WARMUP_SECONDS = 3;
const BATCH = env('SDK_BENCH_BATCH', 100);
const RECORD_BYTES = 200;
const TARGET = 0.8;
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const TENANT = 'bench';
const STREAM = 'events';

/** wrk sends one body again and again; the producer gets records already built, and serializes each. */
const POOL = Array.from({ length: 10_000 }, (_, i) => makeRecord(i, 'sdk', RECORD_BYTES));

const log = (msg: string) => console.error(`[bench:sdk] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Setup {
  server: ServerProcess;
  reader: Tributary;
  producer: Tributary;
  producerKey: string;
  bodyFile: string;
}

async function setUp(work: string): Promise<Setup> {
  const server = await startServer({
    dataDir: path.join(work, 'data'),
    adminKey: ADMIN_KEY,
    logLevel: 'warn',
  });
  const platform = new Tributary({ url: server.url, key: ADMIN_KEY });
  const tenant = await platform.tenants.create(TENANT);
  const reader = new Tributary({ url: server.url, key: tenant.key.secret });
  await reader.streams.create(TENANT, { name: STREAM, schema: STREAM_SCHEMA });
  const key = await reader.keys.create(TENANT, {
    name: 'bench-producer',
    role: 'producer',
    streams: [STREAM],
  });
  const bodyFile = path.join(work, 'body.json');
  await writeFile(bodyFile, makeBatch(BATCH, RECORD_BYTES));
  const producer = new Tributary({ url: server.url, key: key.secret });
  return { server, reader, producer, producerKey: key.secret, bodyFile };
}

/** Waits until raw holds `atLeast` rows and has stopped changing for a second; returns the total. */
async function waitLoaded(reader: Tributary, atLeast: number): Promise<number> {
  const end = Date.now() + 600_000;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const total = (await reader.records.list(TENANT, STREAM, { layer: 'raw', limit: 1 })).total;
    if (total !== last) stableSince = Date.now();
    last = total;
    if ((total >= atLeast && Date.now() - stableSince >= 1000) || Date.now() > end) return total;
    await sleep(250);
  }
}

async function wrkRun(s: Setup, seconds: number, keyPrefix?: string): Promise<SdkRun> {
  const cpu0 = await cpuSnapshot(s.server.pid);
  const r = await runWrk({
    url: `${s.server.url}/v1/tenants/${TENANT}/streams/${STREAM}/records`,
    bodyFile: s.bodyFile,
    token: s.producerKey,
    connections: CONNECTIONS,
    seconds,
    idempotencyKeyPrefix: keyPrefix,
  });
  const cpu = cpuBetween(s.server.pid, cpu0, await cpuSnapshot(s.server.pid));
  const acked = (r.statuses['200'] ?? 0) * BATCH;
  return {
    tool: keyPrefix ? 'wrk-keyed' : 'wrk',
    seconds: r.durationSeconds,
    recordsPerSecond: acked / r.durationSeconds,
    acked,
    notAcked: r.requests - (r.statuses['200'] ?? 0),
    serverCpuMsPer1k: (cpu.seconds * 1e6) / Math.max(1, acked),
  };
}

async function sdkRun(s: Setup, seconds: number, tag: string): Promise<SdkRun> {
  const p = s.producer.producer({
    tenant: TENANT,
    stream: STREAM,
    maxBatchRecords: BATCH,
    maxInFlight: IN_FLIGHT,
    // Twice what can be in flight: enough to keep every slot busy, small enough that close(), which
    // drains the queue, ends the run soon after its time is up.
    maxQueueBytes: 2 * IN_FLIGHT * BATCH * (RECORD_BYTES + 1),
    gzip: GZIP,
    producerId: tag,
  });
  const cpu0 = await cpuSnapshot(s.server.pid);
  const self0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  for (let i = 0; performance.now() < end; i++) await p.send(POOL[i % POOL.length]);
  await p.close();
  const elapsed = (performance.now() - start) / 1000;
  const self = process.cpuUsage(self0);
  const cpu = cpuBetween(s.server.pid, cpu0, await cpuSnapshot(s.server.pid));
  const { acked, retries, failed } = p.counts;
  if (failed) throw new Error(`the SDK run lost ${failed} records to failed batches`);
  return {
    tool: 'sdk',
    seconds: elapsed,
    recordsPerSecond: acked / elapsed,
    acked,
    notAcked: retries,
    serverCpuMsPer1k: (cpu.seconds * 1e6) / Math.max(1, acked),
    clientCpuMsPer1k: (self.user + self.system) / 1000 / Math.max(1, acked / 1000),
  };
}

async function main(): Promise<void> {
  const wrk = wrkVersion();
  if (!wrk) {
    console.error('wrk is not installed (Debian/Ubuntu: `apt-get install -y wrk`).');
    process.exit(1);
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-sdk-'));
  let s: Setup | undefined;
  try {
    const loadBefore = os.loadavg();
    const startedAt = new Date().toISOString();
    s = await setUp(work);
    log(`server ${s.server.url} (pid ${s.server.pid}); warm-up ${WARMUP_SECONDS} s each`);
    let expected = 0;
    expected += (await wrkRun(s, WARMUP_SECONDS)).acked;
    expected += (await sdkRun(s, WARMUP_SECONDS, 'warm')).acked;
    await waitLoaded(s.reader, expected);

    const runs: SdkRun[] = [];
    for (const [i, tool] of runOrder(ROUNDS).entries()) {
      log(`run ${i + 1}: ${tool}, ${SECONDS} s`);
      const run =
        tool === 'sdk'
          ? await sdkRun(s, SECONDS, `sdk${i}`)
          : await wrkRun(s, SECONDS, tool === 'wrk-keyed' ? `wrk${i}` : undefined);
      log(`  ${Math.round(run.recordsPerSecond)} records/s`);
      runs.push(run);
      expected += run.acked;
      await waitLoaded(s.reader, expected);
    }
    const total = await waitLoaded(s.reader, expected);
    const mean = (tool: SdkRun['tool']) => {
      const xs = runs.filter((r) => r.tool === tool);
      return xs.reduce((a, r) => a + r.recordsPerSecond, 0) / xs.length;
    };
    const result: SdkBenchResult = {
      startedAt,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        wrk,
        loadBefore,
      },
      settings: {
        seconds: SECONDS,
        rounds: ROUNDS,
        connections: CONNECTIONS,
        inFlight: IN_FLIGHT,
        batch: BATCH,
        recordBytes: RECORD_BYTES,
        gzip: GZIP,
      },
      runs,
      roundRatios: roundRatios(runs, ROUNDS),
      wrkRate: mean('wrk'),
      wrkKeyedRate: mean('wrk-keyed'),
      sdkRate: mean('sdk'),
      ratio: mean('sdk') / mean('wrk'),
      keyedRatio: mean('sdk') / mean('wrk-keyed'),
      target: TARGET,
      // wrk answers that arrived after it stopped counting are stored too, so raw may hold a few more.
      allLoaded: total >= expected,
    };
    const section = renderSdk(result);
    console.log(section);
    if (process.env.SDK_BENCH_WRITE !== '0') {
      const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
      await writeFile(file, withSdkSection(await readFile(file, 'utf8').catch(() => ''), section));
      log('wrote the SDK section of BENCHMARKS.md');
    }
  } finally {
    await s?.server.stop('SIGKILL');
    await rm(work, { recursive: true, force: true });
  }
}

await main();
