import { markers } from './sections.js';

/** What `npm run bench:lambda` measured; the cost model (bench/cost) reads the per-request CPU from here. */
export interface RequestCost {
  recordBytes: number;
  bodyBytes: number;
  requests: number;
  durationMedianMs: number;
  durationP99Ms: number;
  cpuMeanMs: number;
  cpuMedianMs: number;
  firehoseRecordsPerRequest: number;
  firehoseBytesPerRequest: number;
  firehoseBilledBytesPerRequest: number;
}

export interface LambdaBenchResult {
  at: string;
  machine: string;
  loadAverage: number[];
  bundle: { entryBytes: number; totalBytes: number };
  runs: number;
  /** Median: a bare handler module ready after process start (the runtime's own share). */
  runtimeReadyMs: number;
  runtimeReadyCpuMs: number;
  /** Median: the bundle's handler ready after process start. */
  handlerReadyMs: number;
  handlerReadyCpuMs: number;
  /** Median: importing the bundle's entry (its top level included). */
  importMs: number;
  firstHealthMs: number;
  firstHealthCpuMs: number;
  firstIngestMs: number;
  firstIngestCpuMs: number;
  recordsPerRequest: number;
  warm: RequestCost[];
}

const ms = (n: number) => `${n.toFixed(0)} ms`;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** Lambda gives 1,024 MB this share of a vCPU: CPU-bound work takes 1,769/1,024 as long as on a full core. */
const VCPU_SHARE_1024 = 1024 / 1769;

export function renderLambdaSection(r: LambdaBenchResult): string {
  const { start, end } = markers('lambda');
  const coldWall = r.handlerReadyMs + r.firstIngestMs;
  const coldCpu = r.handlerReadyCpuMs + r.firstIngestCpuMs;
  const rows = r.warm.map(
    (w) =>
      `| ${r.recordsPerRequest} × ${w.recordBytes} B (${kib(w.bodyBytes)} body) | ${w.cpuMeanMs.toFixed(2)} | ${w.cpuMedianMs.toFixed(2)} | ${w.durationMedianMs.toFixed(1)} / ${w.durationP99Ms.toFixed(1)} | ${w.firehoseRecordsPerRequest.toFixed(2)} × ${kib(w.firehoseBytesPerRequest / Math.max(w.firehoseRecordsPerRequest, 1e-9))} (billed ${kib(w.firehoseBilledBytesPerRequest)}) |`,
  );
  return `${start}
## Lambda bundle

\`npm run bench:lambda\` (\`bench/lambda-cold-start.ts\`) builds the Lambda bundle (infra/bundle.ts) and loads it
the way the Node.js runtime does, in fresh processes with no node_modules beside it
(\`bench/lambda-process.ts\`), in AWS mode against dynalite and a Firehose sink on loopback, with
\`--enable-source-maps\` as the stack sets it. Cold start = the handler ready after process start, then
the first request. Wall times swell with the machine's load; the CPU a cold start spends does not, and
it is what a function's CPU share stretches: at 1,024 MB (${VCPU_SHARE_1024.toFixed(2)} of a vCPU) the
CPU to the first acknowledged batch takes about ${ms(coldCpu / VCPU_SHARE_1024)}, before the TLS handshakes and
network waits of the first calls to DynamoDB and Firehose, which a loopback stub cannot show.

${r.at}, ${r.machine}; load average before ${r.loadAverage.map((l) => l.toFixed(2)).join(' / ')}.
Bundle: ${(r.bundle.entryBytes / 1024).toFixed(0)} KiB entry chunk, ${(r.bundle.totalBytes / 1024 / 1024).toFixed(2)} MiB in all.

| cold start (median of ${r.runs}) | wall | CPU |
| --- | ---: | ---: |
| runtime alone: a bare handler ready after process start | ${ms(r.runtimeReadyMs)} | ${ms(r.runtimeReadyCpuMs)} |
| bundle: handler ready after process start (import ${ms(r.importMs)}) | ${ms(r.handlerReadyMs)} | ${ms(r.handlerReadyCpuMs)} |
| first request, GET /health | ${ms(r.firstHealthMs)} | ${ms(r.firstHealthCpuMs)} |
| first ingest, ${r.recordsPerRequest} records of 200 B (key and stream lookups, SDK clients' first calls) | ${ms(r.firstIngestMs)} | ${ms(r.firstIngestCpuMs)} |
| **process start to the first acknowledged batch** | **${ms(coldWall)}** | **${ms(coldCpu)}** |

| warm ingest, ${r.warm[0]?.requests ?? 0} requests each | CPU ms / request (mean) | (median) | duration p50 / p99 (ms) | Firehose records per request × size |
| --- | ---: | ---: | ---: | --- |
${rows.join('\n')}

CPU is \`process.cpuUsage()\` of the function process (all threads), per invocation for the warm rows.
The cost model (\`npm run cost\`, docs/cost.md) takes its Lambda CPU per request from this table.
${end}`;
}
