import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startServer, type ServerProcess } from './server-process.js';
import { measureComponents } from './components.js';
import { cpuBetween, cpuSnapshot } from './cpu.js';
import { summarizeProfile, type ProfileSummary } from './cpu-profile.js';
import { startBaseline, type BaselineProcess } from './processes.js';
import { markedSections } from './sections.js';
import { makeBatch, STREAM_SCHEMA } from './records.js';
import { renderMarkdown, renderTable, type BenchResult } from './report.js';
import { RssSampler, readMemory } from './rss.js';
import { percentile, slopePerSecond } from './stats.js';
import { TributaryClient } from './tributary-client.js';
import { runWrk, wrkVersion, type WrkResult } from './wrk.js';

/**
 * `npm run bench`: a node:http JSON baseline and Tributary (embedded stack, fresh data dir), each
 * loaded over loopback by wrk; ack throughput and latency, freshness, sustained end-to-end
 * throughput, backlog, peak RSS and RSS under overload. Prints a table and rewrites BENCHMARKS.md.
 */
const env = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const SECONDS = env('BENCH_SECONDS', 20);
const OVERLOAD_SECONDS = env('BENCH_OVERLOAD_SECONDS', 10);
const CONNECTIONS = env('BENCH_CONNECTIONS', 32);
const OVERLOAD_CONNECTIONS = env('BENCH_OVERLOAD_CONNECTIONS', 256);
const WARMUP_SECONDS = 3;
const BATCH = 100;
const RECORD_BYTES = 200;
const PROFILE = process.env.BENCH_PROFILE === '1';
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const TENANT = 'bench';
const STREAM = 'events';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (r: WrkResult) => r.statuses['200'] ?? 0;
const log = (msg: string) => console.error(`[bench] ${msg}`);

/**
 * Polls the raw layer until it holds at least `atLeast` rows and has stopped changing for a second
 * (requests in flight when wrk stops are acknowledged but not counted by wrk). `at` is when it first
 * reached `atLeast`.
 */
async function waitForRaw(
  client: TributaryClient,
  atLeast: number,
  timeoutMs: number,
): Promise<{ total: number; at: number }> {
  const end = Date.now() + timeoutMs;
  let reached: number | undefined;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const total = await client.rawTotal();
    const now = Date.now();
    if (total !== last) stableSince = now;
    last = total;
    if (total >= atLeast) reached ??= now;
    if ((reached !== undefined && now - stableSince >= 1000) || now > end)
      return { total, at: reached ?? now };
    await sleep(250);
  }
}

interface Marker {
  ackMs: number;
  freshMs?: number;
  serverMs?: number;
}

/** One marker batch a second while `running()`: ack latency, then time until its receipt says loaded. */
async function sampleFreshness(
  client: TributaryClient,
  running: () => boolean,
): Promise<{ markers: Marker[]; acked: number; failed: number }> {
  const markers: Marker[] = [];
  const follow: Promise<void>[] = [];
  let acked = 0;
  let failed = 0;
  for (let i = 0; running(); i++) {
    const tick = sleep(1000);
    const sent = performance.now();
    const res = await client
      .ingest(makeBatch(BATCH, RECORD_BYTES, `mark${i}`))
      .catch(() => ({ status: 0, batchId: undefined }));
    const ackAt = performance.now();
    if (res.status === 200 && res.batchId) {
      acked += BATCH;
      const m: Marker = { ackMs: ackAt - sent };
      markers.push(m);
      const batchId = res.batchId;
      follow.push(
        (async () => {
          const end = ackAt + 60_000;
          while (performance.now() < end) {
            const r = await client.receipt(batchId).catch(() => undefined);
            if (r?.state === 'loaded') {
              m.freshMs = performance.now() - ackAt;
              if (r.loadedAt) m.serverMs = Date.parse(r.loadedAt) - Date.parse(r.receivedAt);
              return;
            }
            await sleep(50);
          }
        })(),
      );
    } else failed++;
    await tick;
  }
  await Promise.all(follow);
  return { markers, acked, failed };
}

/** pendingRecords (acknowledged, not loaded) every 2 s while `running()`. */
async function sampleBacklog(
  client: TributaryClient,
  running: () => boolean,
): Promise<{ t: number; pending: number; lag: number }[]> {
  const out: { t: number; pending: number; lag: number }[] = [];
  const start = performance.now();
  while (running()) {
    const m = await client.metrics().catch(() => undefined);
    if (m) out.push({ t: (performance.now() - start) / 1000, pending: m.pendingRecords, lag: m.lagSeconds });
    await sleep(2000);
  }
  return out;
}

async function benchBaseline(bodyFile: string): Promise<BenchResult['baseline']> {
  let baseline: BaselineProcess | undefined;
  try {
    baseline = await startBaseline();
    const rss = new RssSampler(baseline.pid);
    rss.start();
    log(`baseline on ${baseline.url}: warm-up ${WARMUP_SECONDS} s`);
    await runWrk({ url: `${baseline.url}/`, bodyFile, connections: CONNECTIONS, seconds: WARMUP_SECONDS });
    log(`baseline: ${SECONDS} s at ${CONNECTIONS} connections`);
    rss.setPhase('load');
    const cpu0 = await cpuSnapshot(baseline.pid);
    const run = await runWrk({
      url: `${baseline.url}/`,
      bodyFile,
      connections: CONNECTIONS,
      seconds: SECONDS,
    });
    const cpu = cpuBetween(baseline.pid, cpu0, await cpuSnapshot(baseline.pid));
    rss.stop();
    return {
      wrk: run,
      recordsPerSecond: (ok(run) * BATCH) / run.durationSeconds,
      peakRssMiB: rss.peakMiB('load'),
      cpu,
    };
  } finally {
    await baseline?.stop();
  }
}

async function benchTributary(bodyFile: string, work: string): Promise<BenchResult['tributary']> {
  const profDir = path.join(work, 'prof');
  if (PROFILE) await mkdir(profDir);
  let server: ServerProcess | undefined;
  let rss: RssSampler | undefined;
  try {
    server = await startServer({
      dataDir: path.join(work, 'data'),
      adminKey: ADMIN_KEY,
      logLevel: 'warn',
      nodeArgs: PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    });
    rss = new RssSampler(server.pid);
    rss.start();
    const client = new TributaryClient(server.url, TENANT, STREAM);
    const producerKey = await client.setUp(ADMIN_KEY, STREAM_SCHEMA);
    const url = `${server.url}/v1/tenants/${TENANT}/streams/${STREAM}/records`;

    log(`tributary on ${server.url} (pid ${server.pid}): warm-up ${WARMUP_SECONDS} s`);
    rss.setPhase('warmup');
    const warm = await runWrk({
      url,
      bodyFile,
      token: producerKey,
      connections: CONNECTIONS,
      seconds: WARMUP_SECONDS,
    });
    const before = await waitForRaw(client, ok(warm) * BATCH, 180_000);

    log(`tributary: ${SECONDS} s at ${CONNECTIONS} connections, one marker batch a second`);
    rss.setPhase('load');
    let running = true;
    const loadStart = performance.now();
    const cpu0 = await cpuSnapshot(server.pid);
    const freshness = sampleFreshness(client, () => running);
    const backlog = sampleBacklog(client, () => running);
    const run = await runWrk({
      url,
      bodyFile,
      token: producerKey,
      connections: CONNECTIONS,
      seconds: SECONDS,
    });
    running = false;
    const loadEnd = performance.now();
    const cpu1 = await cpuSnapshot(server.pid);
    const fresh = await freshness;
    const backlogSamples = await backlog;

    log('tributary: waiting until everything acknowledged is loaded');
    rss.setPhase('drain');
    const expected = before.total + ok(run) * BATCH + fresh.acked;
    const drained = await waitForRaw(client, expected, 600_000);
    const drainSeconds = Math.max(0, (drained.at - performance.timeOrigin - loadEnd) / 1000);
    const loadedRows = drained.total - before.total;
    const sustainedSeconds = (drained.at - performance.timeOrigin - loadStart) / 1000;
    const cpu2 = await cpuSnapshot(server.pid);

    log(`tributary: overload, ${OVERLOAD_SECONDS} s at ${OVERLOAD_CONNECTIONS} connections`);
    rss.setPhase('overload');
    const beforeOverload = drained.total;
    const overload = await runWrk({
      url,
      bodyFile,
      token: producerKey,
      connections: OVERLOAD_CONNECTIONS,
      seconds: OVERLOAD_SECONDS,
      threads: 2,
    });
    const overloadEnd = performance.now();
    rss.setPhase('overload-drain');
    const afterOverload = await waitForRaw(client, beforeOverload + ok(overload) * BATCH, 600_000);
    const overloadDrainSeconds = Math.max(
      0,
      (afterOverload.at - performance.timeOrigin - overloadEnd) / 1000,
    );
    await rss.sample();
    rss.stop();

    log('tributary: SIGTERM (drain and exit)');
    const termAt = performance.now();
    const exit = await Promise.race([server.stop('SIGTERM'), sleep(90_000).then(() => undefined)]);
    const shutdownSeconds = (performance.now() - termAt) / 1000;
    let profile: ProfileSummary | undefined;
    if (PROFILE && exit) {
      const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'));
      if (files[0]) profile = await summarizeProfile(path.join(profDir, files[0]), REPO_ROOT);
    }

    const ackRate = (ok(run) * BATCH) / run.durationSeconds;
    // The first seconds ramp up from an empty pipeline; judge the backlog on the rest.
    const steady = backlogSamples.filter((x) => x.t >= 4);
    const third = Math.max(1, Math.floor(steady.length / 3));
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const early = mean(steady.slice(0, third).map((x) => x.pending));
    const late = mean(steady.slice(-third).map((x) => x.pending));
    const freshMs = fresh.markers.flatMap((m) => (m.freshMs === undefined ? [] : [m.freshMs]));
    const serverMs = fresh.markers.flatMap((m) => (m.serverMs === undefined ? [] : [m.serverMs]));
    return {
      wrk: run,
      recordsPerSecond: ackRate,
      freshness: {
        markers: fresh.markers.length,
        notLoaded: fresh.markers.length - freshMs.length,
        failedPosts: fresh.failed,
        p50Ms: percentile(freshMs, 50),
        p95Ms: percentile(freshMs, 95),
        maxMs: percentile(freshMs, 100),
        serverP95Ms: percentile(serverMs, 95),
        markerAckP50Ms: percentile(
          fresh.markers.map((m) => m.ackMs),
          50,
        ),
      },
      sustained: {
        loadedRows,
        expectedRows: expected - before.total,
        seconds: sustainedSeconds,
        drainSeconds,
        recordsPerSecond: loadedRows / sustainedSeconds,
        backlog: backlogSamples,
        backlogEarly: early,
        backlogLate: late,
        backlogSlope: slopePerSecond(steady.map((x) => [x.t, x.pending])),
        maxLagSeconds: Math.max(0, ...backlogSamples.map((x) => x.lag)),
        // Growing: the last third holds over a second more of ingest than the first third.
        backlogGrowing: late - early > ackRate,
      },
      overload: {
        wrk: overload,
        peakRssMiB: rss.peakMiB('overload'),
        loadedAfterSeconds: overloadDrainSeconds,
        loadedAll: afterOverload.total >= beforeOverload + ok(overload) * BATCH,
      },
      cpu: {
        load: cpuBetween(server.pid, cpu0, cpu1),
        drain: cpuBetween(server.pid, cpu1, cpu2),
        loadAndDrain: cpuBetween(server.pid, cpu0, cpu2),
      },
      peakRssMiB: Math.max(rss.peakMiB('warmup'), rss.peakMiB('load'), rss.peakMiB('drain')),
      hwmMiB: rss.hwmMiB(),
      shutdown: { seconds: shutdownSeconds, code: exit?.code ?? null, timedOut: !exit },
      profile,
    };
  } finally {
    rss?.stop();
    if (server) await server.stop('SIGKILL');
  }
}

async function main(): Promise<void> {
  const wrk = wrkVersion();
  if (!wrk) {
    console.error(
      'wrk is not installed. Install it (Debian/Ubuntu: `apt-get install -y wrk`) and run `npm run bench` again.',
    );
    process.exit(1);
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-'));
  try {
    const bodyFile = path.join(work, 'body.json');
    const body = makeBatch(BATCH, RECORD_BYTES);
    await writeFile(bodyFile, body);
    const loadBefore = os.loadavg();
    const started = new Date();
    log(
      `load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; body ${body.length} bytes (${BATCH} records)`,
    );
    const components =
      process.env.BENCH_COMPONENTS === '0'
        ? undefined
        : await measureComponents({ batch: BATCH, recordBytes: RECORD_BYTES, log });
    const baseline = await benchBaseline(bodyFile);
    const tributary = await benchTributary(bodyFile, work);
    const loadAfter = os.loadavg();
    const self = await readMemory(process.pid);
    const result: BenchResult = {
      startedAt: started.toISOString(),
      settings: {
        seconds: SECONDS,
        connections: CONNECTIONS,
        overloadSeconds: OVERLOAD_SECONDS,
        overloadConnections: OVERLOAD_CONNECTIONS,
        batch: BATCH,
        recordBytes: RECORD_BYTES,
        bodyBytes: body.length,
        profile: PROFILE,
      },
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memGiB: os.totalmem() / 2 ** 30,
        node: process.version,
        wrk,
        loadBefore,
        loadAfter,
        benchRssMiB: (self?.rssKiB ?? 0) / 1024,
      },
      baseline,
      tributary,
      components,
    };
    console.log(renderTable(result));
    if (process.env.BENCH_WRITE !== '0') {
      const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
      // The marked sections come from other benches (`npm run soak`, hours long; `npm run bench:sdk`;
      // `npm run bench:cli`; `npm run bench:lambda`), so a bench run keeps them as they are.
      const previous = await readFile(file, 'utf8').catch(() => '');
      const kept = markedSections(previous);
      await writeFile(
        file,
        kept.length
          ? `${renderMarkdown(result).trimEnd()}\n\n${kept.join('\n\n')}\n`
          : renderMarkdown(result),
      );
      log('wrote BENCHMARKS.md');
    }
  } finally {
    if (process.env.BENCH_KEEP !== '1') await rm(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}

await main();
