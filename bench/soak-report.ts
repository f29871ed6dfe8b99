/** The soak's numbers and their BENCHMARKS.md section (kept between markers so `npm run bench` keeps it). */
export const SOAK_START = '<!-- soak:start -->';
export const SOAK_END = '<!-- soak:end -->';

export interface SoakSample {
  /** Seconds since the load started. */
  t: number;
  rssMiB: number;
  openFiles: number;
  acked: number;
  lagSeconds: number;
  pendingRecords: number;
  status429: number;
}

export interface SoakResult {
  at: string;
  host: string;
  seconds: number;
  rate: number;
  batch: number;
  recordBytes: number;
  requests: number;
  /** Requests the generator could not send because MAX_IN_FLIGHT were unanswered. */
  skipped: number;
  statuses: Record<string, number>;
  acked: number;
  raw: number;
  /** Counted from the database file after the server stopped; NaN when that failed. */
  deduped: number;
  entity: number;
  /** What deduped and entity must equal: distinct dedupe keys and distinct entity keys in raw. */
  distinctIds: number;
  distinctUsers: number;
  loadedAfterSeconds: number;
  allLoaded: boolean;
  /** After warm-up (the first sample at or past 10 minutes, or a quarter of the run). */
  rssStartMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  hwmMiB: number;
  rssSlopeMiBPerHour: number;
  openFilesStart: number;
  openFilesEnd: number;
  openFilesMax: number;
  lagMaxSeconds: number;
  lagEndSeconds: number;
  latencyMs: { p50: number; p99: number; max: number };
  samples: SoakSample[];
}

const n = (v: number, digits = 0) =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '–';

export function renderSoak(r: SoakResult): string {
  const statuses = Object.entries(r.statuses)
    .map(([k, v]) => `${k}: ${n(v)}`)
    .join(', ');
  // About twelve points of the RSS curve, so "flat" can be read, not just trusted.
  const step = Math.max(1, Math.floor(r.samples.length / 12));
  const curve = r.samples
    .filter((_, i) => i % step === 0)
    .map(
      (s) =>
        `| ${n(s.t / 60, 1)} | ${n(s.acked)} | ${n(s.rssMiB)} | ${n(s.openFiles)} | ${n(s.lagSeconds, 1)} |`,
    )
    .join('\n');
  return `${SOAK_START}
## Soak

\`npm run soak\` (\`bench/soak.ts\`): ${n(r.rate)} records/s (${n(r.rate / r.batch)} requests/s of ${r.batch} records of
~${r.recordBytes} bytes) on a fixed schedule into one stream with a dedupe key (\`id\`) and an entity key
(\`user\`, ordered by \`ts\`), on the embedded stack in its own process with default settings.

${r.at}, ${r.host}.

| metric | value |
| --- | --- |
| duration | ${n(r.seconds / 60, 1)} min |
| requests (status counts) | ${n(r.requests)} (${statuses}); ${n(r.skipped)} not sent because 256 requests were unanswered |
| 429s | ${n(r.statuses['429'] ?? 0)} |
| acknowledged records | ${n(r.acked)} |
| rows in raw at the end | ${n(r.raw)} (${r.allLoaded ? 'all' : '**not all**'} loaded, ${n(r.loadedAfterSeconds, 1)} s after the load stopped); deduped ${n(r.deduped)} (distinct ids ${n(r.distinctIds)}), entity ${n(r.entity)} (distinct users ${n(r.distinctUsers)}) |
| RSS after warm-up → end | ${n(r.rssStartMiB)} → ${n(r.rssEndMiB)} MiB (max ${n(r.rssMaxMiB)}, VmHWM ${n(r.hwmMiB)}); slope ${n(r.rssSlopeMiBPerHour, 1)} MiB/h |
| open files after warm-up → end | ${n(r.openFilesStart)} → ${n(r.openFilesEnd)} (max ${n(r.openFilesMax)}) |
| lag max / at the end | ${n(r.lagMaxSeconds, 1)} s / ${n(r.lagEndSeconds, 1)} s |
| ack latency p50 / p99 / max | ${n(r.latencyMs.p50, 1)} / ${n(r.latencyMs.p99, 1)} / ${n(r.latencyMs.max)} ms |

| minute | acknowledged | RSS (MiB) | open files | lag (s) |
| --- | --- | --- | --- | --- |
${curve}
${SOAK_END}`;
}
