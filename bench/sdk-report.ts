/** The SDK bench's numbers and its BENCHMARKS.md section (between markers, so `npm run bench` keeps it). */
export const SDK_START = '<!-- sdk:start -->';
export const SDK_END = '<!-- sdk:end -->';

export interface SdkRun {
  /** wrk-keyed: wrk with a unique Idempotency-Key per request, as the SDK sends. */
  tool: 'wrk' | 'wrk-keyed' | 'sdk';
  seconds: number;
  /** Records acknowledged (200) per second of the run, the SDK's flush at the end included. */
  recordsPerSecond: number;
  acked: number;
  /** wrk: non-200 answers; the SDK: retries. */
  notAcked: number;
  serverCpuMsPer1k: number;
  /** The SDK's own process (wrk is not measured). */
  clientCpuMsPer1k?: number;
}

export interface SdkBenchResult {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; node: string; wrk: string; loadBefore: number[] };
  settings: {
    seconds: number;
    rounds: number;
    connections: number;
    inFlight: number;
    batch: number;
    recordBytes: number;
    gzip: boolean;
  };
  runs: SdkRun[];
  /** The SDK's rate over wrk's within each round. */
  roundRatios: number[];
  wrkRate: number;
  wrkKeyedRate: number;
  sdkRate: number;
  ratio: number;
  /** Against wrk with keys: what the client itself costs, idempotency aside. */
  keyedRatio: number;
  target: number;
  /** Raw held every acknowledged record once loading finished. */
  allLoaded: boolean;
}

const TOOLS = ['wrk', 'sdk', 'wrk-keyed'] as const;

/**
 * Rounds of wrk, SDK and keyed wrk, each round turned by one place, so that every tool runs first,
 * second and third equally often: a server that speeds up or slows down over the run favours none.
 */
export function runOrder(rounds: number): SdkRun['tool'][] {
  const order: SdkRun['tool'][] = [];
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < TOOLS.length; i++) order.push(TOOLS[(r + i) % TOOLS.length]);
  return order;
}

/** The SDK's rate over wrk's in each round of `runs` (laid out by runOrder). */
export function roundRatios(runs: SdkRun[], rounds: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const round = runs.slice(r * TOOLS.length, (r + 1) * TOOLS.length);
    const rate = (tool: SdkRun['tool']) => round.find((x) => x.tool === tool)?.recordsPerSecond ?? NaN;
    out.push(rate('sdk') / rate('wrk'));
  }
  return out;
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const n2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

const TOOL_NAMES: Record<SdkRun['tool'], string> = {
  wrk: 'wrk',
  'wrk-keyed': 'wrk + Idempotency-Key',
  sdk: 'SDK producer',
};

export function renderSdk(r: SdkBenchResult): string {
  const s = r.settings;
  const m = r.machine;
  const rows = r.runs.map(
    (x, i) =>
      `| ${i + 1}. ${TOOL_NAMES[x.tool]} | ${n0(x.recordsPerSecond)} | ${n0(x.acked)} | ` +
      `${n0(x.notAcked)} | ${n2(x.serverCpuMsPer1k)} | ${x.clientCpuMsPer1k === undefined ? '–' : n2(x.clientCpuMsPer1k)} |`,
  );
  const pass = r.ratio >= r.target;
  return `${SDK_START}
## SDK producer

\`npm run bench:sdk\` (\`bench/sdk.ts\`, also run by \`npm run bench\`): the SDK's producer
(\`client/\`) against wrk, on the same Tributary server (embedded stack, fresh data dir, stream without a
dedupe key) in the same run. wrk: ${s.connections} connections POSTing one fixed JSON array of ${s.batch}
records of ~${s.recordBytes} bytes; "wrk + Idempotency-Key" adds a unique key to every request
(\`bench/post-keyed.lua\`), as the SDK does to every batch. The SDK: one producer in the bench process,
\`send()\` of one record at a time (objects built beforehand, as wrk's body is; the producer serializes each
into its batch, a JSON array), \`maxBatchRecords: ${s.batch}\`,
\`maxInFlight: ${s.inFlight}\`, \`maxQueueBytes\` twice what can be in flight, gzip ${s.gzip ? 'on' : 'off'}, other options default; its
rate counts the final \`close()\`. The runs come in ${s.rounds} rounds of wrk, SDK and keyed wrk, each round turned by one
place (so each tool runs first, second and third equally often and a server that speeds up or slows down
over the run favours none), each run ${s.seconds} s after a warm-up, each starting once the previous run's
records are loaded. The verdict compares the mean rates.

${r.startedAt}, ${m.cpus} × ${m.cpuModel}, Node ${m.node}, wrk ${m.wrk}; load average before
${m.loadBefore.map((l) => l.toFixed(2)).join(' / ')}.

| run | acknowledged records/s | records | not acknowledged (wrk) / retries (SDK) | server CPU ms per 1k records | SDK CPU ms per 1k records |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

| target | goal | measured | |
| --- | --- | --- | --- |
| SDK producer throughput | ≥ ${r.target} × wrk | ${n2(r.ratio)} × (${n0(r.sdkRate)} vs ${n0(r.wrkRate)} records/s) | ${pass ? 'pass' : '**miss**'} |
| (spread) the same within each round | | ${r.roundRatios.map((x) => `${n2(x)} ×`).join(', ')} | |
| (for comparison) against wrk with keys | | ${n2(r.keyedRatio)} × (${n0(r.sdkRate)} vs ${n0(r.wrkKeyedRate)} records/s) | |

Every acknowledged record in raw after loading: ${r.allLoaded ? 'yes' : '**no**'}.
${SDK_END}`;
}

/** Replaces the marked section of `doc`, or appends it. */
export function withSdkSection(doc: string, section: string): string {
  const start = doc.indexOf(SDK_START);
  const stop = doc.indexOf(SDK_END);
  if (start >= 0 && stop > start) return doc.slice(0, start) + section + doc.slice(stop + SDK_END.length);
  return `${doc.trimEnd()}\n\n${section}\n`;
}
