import type { ComponentCosts } from './components.js';
import type { CpuUsage } from './cpu.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { WrkResult } from './wrk.js';

export interface BenchResult {
  startedAt: string;
  settings: {
    seconds: number;
    connections: number;
    overloadSeconds: number;
    overloadConnections: number;
    batch: number;
    recordBytes: number;
    bodyBytes: number;
    profile: boolean;
  };
  machine: {
    cpus: number;
    cpuModel: string;
    memGiB: number;
    node: string;
    wrk: string;
    loadBefore: number[];
    loadAfter: number[];
    benchRssMiB: number;
  };
  baseline: { wrk: WrkResult; recordsPerSecond: number; peakRssMiB: number; cpu: CpuUsage };
  tributary: {
    wrk: WrkResult;
    recordsPerSecond: number;
    freshness: {
      markers: number;
      notLoaded: number;
      failedPosts: number;
      p50Ms: number;
      p95Ms: number;
      maxMs: number;
      serverP95Ms: number;
      markerAckP50Ms: number;
    };
    sustained: {
      loadedRows: number;
      expectedRows: number;
      seconds: number;
      drainSeconds: number;
      recordsPerSecond: number;
      backlog: { t: number; pending: number; lag: number }[];
      backlogEarly: number;
      backlogLate: number;
      backlogSlope: number;
      maxLagSeconds: number;
      backlogGrowing: boolean;
    };
    overload: { wrk: WrkResult; peakRssMiB: number; loadedAfterSeconds: number; loadedAll: boolean };
    /** During the load run, while finishing loading afterwards, and both. */
    cpu: { load: CpuUsage; drain: CpuUsage; loadAndDrain: CpuUsage };
    peakRssMiB: number;
    hwmMiB: number;
    shutdown: { seconds: number; code: number | null; timedOut: boolean };
    profile?: ProfileSummary;
  };
  /** In-process CPU cost of each pipeline stage (bench/components.ts); absent with BENCH_COMPONENTS=0. */
  components?: ComponentCosts;
}

interface Check {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const n1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const n2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const statuses = (w: WrkResult) =>
  Object.entries(w.statuses)
    .map(([k, v]) => `${k}: ${n0(v)}`)
    .join(', ') || 'none';
const socketErrors = (w: WrkResult) => {
  const e = w.errors;
  const total = e.connect + e.read + e.write + e.timeout;
  return total === 0
    ? 'none'
    : `connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}`;
};

export function checks(r: BenchResult): Check[] {
  const t = r.tributary;
  const base = r.baseline.recordsPerSecond;
  const ackRatio = t.recordsPerSecond / base;
  const e2eRatio = t.sustained.recordsPerSecond / base;
  const shed = (t.overload.wrk.statuses['429'] ?? 0) + (t.overload.wrk.statuses['503'] ?? 0);
  // VmHWM is the kernel's own lifetime peak, so it also catches spikes between samples.
  const maxRss = Math.max(t.peakRssMiB, t.overload.peakRssMiB, t.hwmMiB);
  return [
    {
      name: 'ack-durable throughput',
      target: '≥ 0.5× baseline',
      measured: `${n2(ackRatio)}×`,
      pass: ackRatio >= 0.5,
    },
    {
      name: 'sustained end-to-end throughput',
      target: `≥ 0.35× baseline, backlog not growing`,
      measured: `${n2(e2eRatio)}×, backlog ${t.sustained.backlogGrowing ? 'growing' : 'flat'}`,
      pass: e2eRatio >= 0.35 && !t.sustained.backlogGrowing,
    },
    {
      name: 'p99 ack latency',
      target: '≤ 25 ms',
      measured: `${n1(t.wrk.latencyMs.p99)} ms`,
      pass: t.wrk.latencyMs.p99 <= 25,
    },
    {
      name: 'freshness p95 (ack → loaded)',
      target: '≤ 2 s',
      measured: `${n2(t.freshness.p95Ms / 1000)} s`,
      pass: t.freshness.p95Ms <= 2000 && t.freshness.notLoaded === 0,
    },
    {
      name: 'peak RSS incl. overload',
      target: '≤ 512 MiB; overload answered with 429/503',
      measured: `${n0(maxRss)} MiB (VmHWM); ${n0(shed)} × 429/503`,
      pass: maxRss <= 512,
    },
  ];
}

function rows(r: BenchResult): [string, string, string][] {
  const t = r.tributary;
  const b = r.baseline;
  const s = t.sustained;
  return [
    [
      'ack throughput (records/s)',
      n0(b.recordsPerSecond),
      `${n0(t.recordsPerSecond)} (${n2(t.recordsPerSecond / b.recordsPerSecond)}×)`,
    ],
    ['requests (status counts)', statuses(b.wrk), statuses(t.wrk)],
    ['socket errors', socketErrors(b.wrk), socketErrors(t.wrk)],
    ['ack latency p50 / p90 / p99 / max (ms)', latency(b.wrk), latency(t.wrk)],
    [
      'freshness ack → loaded p50 / p95 / max (s)',
      '–',
      `${n2(t.freshness.p50Ms / 1000)} / ${n2(t.freshness.p95Ms / 1000)} / ${n2(t.freshness.maxMs / 1000)} (${t.freshness.markers} markers, ${t.freshness.notLoaded} not loaded; server-side p95 ${n2(t.freshness.serverP95Ms / 1000)})`,
    ],
    [
      'sustained end-to-end (records/s)',
      '–',
      `${n0(s.recordsPerSecond)} (${n2(s.recordsPerSecond / b.recordsPerSecond)}×): ${n0(s.loadedRows)} rows loaded (wrk saw ${n0(s.expectedRows)} acknowledged; it misses the requests in flight when it stops) in ${n1(s.seconds)} s, ${n1(s.drainSeconds)} s of it after the load stopped`,
    ],
    [
      'backlog (acknowledged, not loaded)',
      '–',
      `first third ${n0(s.backlogEarly)}, last third ${n0(s.backlogLate)} records; slope ${n0(s.backlogSlope)} records/s; max lag ${n1(s.maxLagSeconds)} s → ${s.backlogGrowing ? 'GROWING' : 'flat'}`,
    ],
    [
      'server CPU per 1,000 records acknowledged (ms)',
      `${n2((1e6 * b.cpu.seconds) / (ok(b.wrk) * r.settings.batch))} (${n1(b.cpu.seconds)} CPU-s in ${n1(b.wrk.durationSeconds)} s)`,
      `${n2((1e6 * t.cpu.load.seconds) / (ok(t.wrk) * r.settings.batch))} during load (${n1(t.cpu.load.seconds)} CPU-s in ${n1(t.wrk.durationSeconds)} s, main thread ${n1(t.cpu.load.mainSeconds)}); ${n2((1e6 * t.cpu.loadAndDrain.seconds) / Math.max(1, s.loadedRows))} incl. finishing the load`,
    ],
    ['server threads busy during load (CPU-s)', threads(b.cpu), threads(t.cpu.load)],
    ['server threads busy after load stopped (CPU-s)', '–', threads(t.cpu.drain)],
    ['peak RSS under load (MiB)', n0(b.peakRssMiB), `${n0(t.peakRssMiB)} (VmHWM ${n0(t.hwmMiB)})`],
    [
      `overload: ${r.settings.overloadConnections} connections, ${r.settings.overloadSeconds} s`,
      '–',
      `${statuses(t.overload.wrk)}; socket errors ${socketErrors(t.overload.wrk)}; p99 ${n1(t.overload.wrk.latencyMs.p99)} ms; peak RSS ${n0(t.overload.peakRssMiB)} MiB; all acknowledged loaded ${t.overload.loadedAll ? `${n1(t.overload.loadedAfterSeconds)} s after` : 'NO (timed out)'}`,
    ],
    [
      'SIGTERM drain + exit',
      '–',
      t.shutdown.timedOut
        ? 'did not exit within 90 s'
        : `${n1(t.shutdown.seconds)} s, exit code ${t.shutdown.code}`,
    ],
  ];
}

const ok = (w: WrkResult) => w.statuses['200'] ?? 0;

function threads(c: CpuUsage): string {
  return c.byThread
    .slice(0, 5)
    .map((g) => `${g.name}${g.threads > 1 ? ` ×${g.threads}` : ''} ${n1(g.seconds)}`)
    .join(', ');
}

function latency(w: WrkResult): string {
  const l = w.latencyMs;
  return `${n1(l.p50)} / ${n1(l.p90)} / ${n1(l.p99)} / ${n0(l.max)}`;
}

function loads(l: number[]): string {
  return l.map((x) => x.toFixed(2)).join(' / ');
}

/** Plain-text table for the terminal. */
export function renderTable(r: BenchResult): string {
  const all = [
    ['metric', 'baseline (node:http + JSON.parse)', 'Tributary (embedded stack)'] as [string, string, string],
    ...rows(r),
  ];
  const w0 = Math.max(...all.map((x) => x[0].length));
  const w1 = Math.max(...all.map((x) => x[1].length));
  const lines = all.map(([a, b, c]) => `${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c}`);
  lines.splice(1, 0, `${'-'.repeat(w0)}-+-${'-'.repeat(w1)}-+-${'-'.repeat(30)}`);
  const verdicts = checks(r).map(
    (c) => `  ${c.pass ? 'PASS' : 'MISS'}  ${c.name}: ${c.measured} (target ${c.target})`,
  );
  return [
    '',
    lines.join('\n'),
    '',
    'Targets',
    ...verdicts,
    '',
    `load average (1/5/15 min) before ${loads(r.machine.loadBefore)}, after ${loads(r.machine.loadAfter)} on ${r.machine.cpus} CPUs`,
    ...(r.components ? ['', renderComponentsText(r.components, liveBaselineMs(r))] : []),
    ...(r.tributary.profile ? ['', profileText(r.tributary.profile)] : []),
  ].join('\n');
}

/** The live baseline server's CPU ms per 1,000 records (HTTP included), for scale. */
function liveBaselineMs(r: BenchResult): number {
  return (1e6 * r.baseline.cpu.seconds) / Math.max(1, ok(r.baseline.wrk) * r.settings.batch);
}

const COMPONENTS_TITLE = 'Where the CPU goes (in-process component costs)';

function componentRows(c: ComponentCosts): [string, string, string, string, string, string][] {
  const row = (x: ComponentCosts['baseline']): [string, string, string, string, string, string] => [
    x.name,
    x.runs,
    n2(x.cpuMs),
    `${n2(x.vsBaseline)}×`,
    n2(x.wallMs),
    x.note ?? '',
  ];
  return [
    row(c.baseline),
    ...c.stages.map(row),
    ['Tributary total (the stages above)', '', n2(c.total.cpuMs), `${n2(c.total.vsBaseline)}×`, '', ''],
  ];
}

function componentsCaveat(c: ComponentCosts, liveMs?: number): string[] {
  const b = c.budget;
  return [
    `Budget: with ${n1(b.cores)} cores for the server, ${n2(c.total.cpuMs)} CPU-ms per 1,000 records allows about ${n0(b.recordsPerSecond)} records/s; JSON.parse alone on one core allows ${n0(b.baselineRecordsPerSecond)} records/s, so the ceiling is ${n2(b.ratio)}× the baseline.`,
    `This is an in-process estimate (${c.batch} records of ~${c.recordBytes} bytes, ${n0(c.bodyBytes)}-byte body): it leaves out HTTP, the framework (routing, auth, catalog look-up), publishing objects to the lake, and the GC pressure of a live server, so a live server does worse than this ceiling.` +
      (liveMs === undefined
        ? ''
        : ` For scale, the live baseline server spent ${n2(liveMs)} CPU-ms per 1,000 records, of which JSON.parse is ${n2(c.baseline.cpuMs)}.`),
  ];
}

/** The component cost table as plain text (the terminal, and \`npx tsx bench/components.ts\`). */
export function renderComponentsText(c: ComponentCosts, liveBaselineMsPer1000?: number): string {
  const all: string[][] = [
    ['stage', 'runs', 'CPU ms/1k rec', '× baseline', 'wall ms/1k rec', 'note'],
    ...componentRows(c),
  ];
  const widths = all[0].map((_, i) => Math.max(...all.map((x) => x[i].length)));
  const lines = all.map((x) =>
    x
      .map((v, i) => (i >= 2 && i <= 4 ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join(' | ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('-+-'));
  return [COMPONENTS_TITLE, lines.join('\n'), ...componentsCaveat(c, liveBaselineMsPer1000)].join('\n');
}

function componentsMarkdown(c: ComponentCosts, liveMs: number): string {
  const table = [
    '| stage | runs | CPU ms / 1,000 records | × baseline | wall ms / 1,000 records | note |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...componentRows(c).map((x) => `| ${x.join(' | ')} |`),
  ].join('\n');
  return `
## ${COMPONENTS_TITLE}

Measured in the bench process before the servers start (\`bench/components.ts\`), calling the real code on
the same body: CPU is \`process.cpuUsage()\` (user + system of every thread, so DuckDB's native threads
count). "× baseline" divides by the baseline's own per-record work, \`JSON.parse\` of the body. Each stage
before the durable log runs ${n1(c.secondsPerStage)} s after a warm-up, in three rounds of which the one with
the least CPU per record counts (a shared machine only adds to it). The durable log runs once for as long,
keeping 32 appends in flight into a temp dir (one fdatasync per group, as the server does). The warehouse
load runs once: lake objects in the ingest path's exact line format (built by the same loop), loaded with
the server's DuckDB settings after a one-object warm-up, ending with the CHECKPOINT that closing runs.

${table}

${componentsCaveat(c, liveMs).join('\n\n')}
`;
}

function profileText(p: ProfileSummary): string {
  const list = (rows: ProfileSummary['selfByArea']) =>
    rows.map((x) => `  ${x.pct.toFixed(1).padStart(5)}%  ${x.name}`).join('\n');
  return [
    `CPU profile of the Tributary process: ${(p.busyMs / 1000).toFixed(1)} s busy, ${(p.idleMs / 1000).toFixed(1)} s idle`,
    'self time by package / file:',
    list(p.selfByArea.slice(0, 12)),
    'self time by function:',
    list(p.selfByFunction.slice(0, 15)),
    'inclusive time by function:',
    list(p.totalByFunction.slice(0, 15)),
  ].join('\n');
}

/** BENCHMARKS.md: method, targets, the latest numbers and how to reproduce them. */
export function renderMarkdown(r: BenchResult): string {
  const s = r.settings;
  const m = r.machine;
  const table = [
    '| metric | baseline (node:http + JSON.parse) | Tributary (embedded stack) |',
    '| --- | --- | --- |',
    ...rows(r).map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
  ].join('\n');
  const targets = [
    '| target | goal | measured | |',
    '| --- | --- | --- | --- |',
    ...checks(r).map((c) => `| ${c.name} | ${c.target} | ${c.measured} | ${c.pass ? 'pass' : '**miss**'} |`),
  ].join('\n');
  const backlog = r.tributary.sustained.backlog
    .map((b) => `${b.t.toFixed(0)}s: ${b.pending} (lag ${b.lag}s)`)
    .join(', ');
  return `# Benchmarks

\`npm run bench\` (\`bench/ingest.ts\`) loads two servers one after the other in the same run, on the same
machine, over loopback, with [wrk](https://github.com/wg/wrk) (\`apt-get install -y wrk\`) and
\`bench/post.lua\`:

- **baseline**: \`bench/baseline-server.ts\`, a bare \`node:http\` server that reads the body, \`JSON.parse\`s it
  and answers 200. Nothing durable: it is the ceiling for a JSON-over-HTTP endpoint on one Node process.
- **Tributary**: \`node --import tsx api/server.ts\` (the embedded stack: dynalite catalog, group-committed
  write-ahead log with fdatasync before the 200, lake, loader, DuckDB), fresh temp data dir, log level warn,
  default buffering (1 s), stream without a dedupe key, a producer key.

Each run: ${s.connections} connections POSTing JSON arrays of ${s.batch} records of ~${s.recordBytes} bytes
(${s.bodyBytes} bytes a request) for ${s.seconds} s after a 3 s warm-up. During the Tributary run the bench
also POSTs one marker batch a second and polls its receipt (\`GET …/batches/{id}\`, every 50 ms) until
\`loaded\` (freshness), and samples \`pendingRecords\` from \`GET …/metrics\` every 2 s (backlog). After the
load stops it polls the raw layer until every acknowledged row is there (sustained end-to-end = rows
loaded / (load time + time to finish loading)). "Backlog growing" means the mean backlog of the last third
of the samples (ignoring the first 4 s of ramp-up) exceeds that of the first third by more than one second
of ingest. Then an overload run
(${s.overloadConnections} connections, ${s.overloadSeconds} s) checks memory stays bounded, then SIGTERM
checks the drain. RSS is sampled from \`/proc/<pid>/status\` every 100 ms.

## Reproduce

\`\`\`sh
apt-get install -y wrk   # once
BENCH_SECONDS=${s.seconds} npm run bench
# options: BENCH_CONNECTIONS, BENCH_OVERLOAD_SECONDS, BENCH_OVERLOAD_CONNECTIONS,
#          BENCH_PROFILE=1 (adds --cpu-prof to the server and prints where its time goes),
#          BENCH_WRITE=0 (do not rewrite this file), BENCH_KEEP=1 (keep the temp dir),
#          BENCH_COMPONENTS=0 (skip the in-process component costs; alone: npx tsx bench/components.ts)
\`\`\`

## Targets

${targets}

## Latest run

${r.startedAt}, ${m.cpus} × ${m.cpuModel}, ${m.memGiB.toFixed(1)} GiB, Node ${m.node}, wrk ${m.wrk}${s.profile ? ', **with --cpu-prof** (a few % slower)' : ''}.
Load average (1/5/15 min) before: ${loads(m.loadBefore)}; after: ${loads(m.loadAfter)}.
The machine was shared with other work, so absolute numbers are noisy; the ratios compare runs
taken minutes apart under the same conditions.

${table}

Backlog samples (pending records): ${backlog || 'none'}.
${r.components ? componentsMarkdown(r.components, liveBaselineMs(r)) : ''}${r.tributary.profile ? `\n## CPU profile (Tributary process, whole run)\n\n\`\`\`\n${profileText(r.tributary.profile)}\n\`\`\`\n` : ''}`;
}
