import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { makeBatch, makeRecord, STREAM_SCHEMA } from './records.js';
import { readMemory } from './rss.js';
import { markers, writeSection } from './sections.js';
import { REPO_ROOT, startServer, type ServerProcess } from './server-process.js';
import { runWrk, wrkVersion } from './wrk.js';

/**
 * `npm run bench:cli`: `tributary push` of a large NDJSON file (CLI_BENCH_MB, default 1024) into the real
 * server, against the acknowledged rate wrk gets from the same server, with the same batch size, in the
 * same run. Targets (issue 12): push ≥ 0.8× wrk, CLI peak RSS ≤ 200 MiB. Rewrites its own section of
 * BENCHMARKS.md (between the cli-push markers) unless BENCH_WRITE=0.
 */
const num = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const FILE_MB = num('CLI_BENCH_MB', 1024);
const BATCH = num('CLI_BENCH_BATCH', 1000);
// About as long as the 1 GiB push takes: over 20 s, the server's buffers (48 MiB acknowledged but not yet
// loaded) absorb much of a burst that a minute-long push cannot hide, and the comparison favours wrk.
const WRK_SECONDS = num('BENCH_SECONDS', 60);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32);
// As many requests in flight as wrk keeps (bench:sdk does the same with the producer's maxInFlight).
const CONCURRENCY = num('CLI_BENCH_CONCURRENCY', CONNECTIONS);
const RECORD_BYTES = 200;
const ADMIN_KEY = 'bench-cli-admin-key-0123456789abcdef';
const TENANT = 'bench';
const SECTION = 'cli-push';
const { start: CLI_START, end: CLI_END } = markers(SECTION);

/**
 * Server settings for this run, e.g. BENCH_SERVER_ENV='TRIBUTARY_ADMIT_WAIT_MS=1000,TRIBUTARY_…=…': the
 * server drops the parent's TRIBUTARY_* variables, and wrk and the push must both see the same ones.
 */
const SERVER_ENV = Object.fromEntries(
  (process.env.BENCH_SERVER_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const at = kv.indexOf('=');
      if (at <= 0) throw new Error(`BENCH_SERVER_ENV: expected NAME=value, got ${kv}`);
      return [kv.slice(0, at).trim(), kv.slice(at + 1).trim()];
    }),
);
const log = (msg: string) => console.error(`[bench:cli] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api<T>(url: string, key: string, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Writes ~`mb` MiB of bench records as NDJSON, with backpressure; returns the record count. */
async function writeInput(file: string, mb: number): Promise<number> {
  const out = createWriteStream(file);
  const target = mb * 1024 * 1024;
  let bytes = 0;
  let n = 0;
  while (bytes < target) {
    const lines: string[] = [];
    for (let i = 0; i < 5000 && bytes < target; i++, n++) {
      const line = `${JSON.stringify(makeRecord(n, 'cli', RECORD_BYTES))}\n`;
      bytes += Buffer.byteLength(line);
      lines.push(line);
    }
    if (!out.write(lines.join(''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return n;
}

interface PushSummary {
  totals: { records: number; accepted: number; rejected: number; invalid: number };
  /** `retries` is missing from the summary of an older checkout (CLI_BENCH_BASELINE). */
  files: { retries?: number }[];
}

/** The node flags the bin's shebang gives it (`#!/usr/bin/env -S node …`), so the bench runs what users run. */
async function binNodeFlags(root: string): Promise<string[]> {
  const first = (await readFile(path.join(root, 'bin/tributary.mjs'), 'utf8')).split('\n', 1)[0];
  return first
    .replace(/^#!.*?\bnode\b/, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

/** CPU seconds (user + system, every thread) a process has used so far, or undefined once it is gone. */
async function cpuSeconds(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // Fields after the comm's ')' start at field 3; utime and stime are fields 14 and 15, in 1/100 s.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function rawTotal(url: string, key: string, stream: string): Promise<number> {
  const r = await api<{ total: number }>(
    url,
    key,
    'GET',
    `/v1/tenants/${TENANT}/streams/${stream}/records?limit=1`,
  );
  return r.total;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-cli-'));
  let server: ServerProcess | undefined;
  try {
    const input = path.join(work, 'push.ndjson');
    log(`writing ${FILE_MB} MiB of NDJSON`);
    const records = await writeInput(input, FILE_MB);
    const bodyFile = path.join(work, 'body.json');
    await writeFile(bodyFile, makeBatch(BATCH, RECORD_BYTES));

    server = await startServer({ dataDir: path.join(work, 'data'), adminKey: ADMIN_KEY, env: SERVER_ENV });
    const tenant = await api<{ key: { secret: string } }>(server.url, ADMIN_KEY, 'POST', '/v1/tenants', {
      name: TENANT,
    });
    const key = tenant.key.secret;
    await api(server.url, key, 'POST', `/v1/tenants/${TENANT}/streams`, {
      name: 'wrk',
      schema: STREAM_SCHEMA,
    });

    const url = server.url;
    const wrkUrl = `${url}/v1/tenants/${TENANT}/streams/wrk/records`;
    const settle = async () => {
      for (
        let last = -1, now = await rawTotal(url, key, 'wrk');
        now !== last;
        now = await rawTotal(url, key, 'wrk')
      ) {
        last = now;
        await sleep(2000);
      }
    };
    /** One wrk run's acknowledged records per second, once the server has loaded what it sent. */
    const wrkRun = async (when: string) => {
      log(`wrk ${when}: ${CONNECTIONS} connections, ${BATCH} records a request, ${WRK_SECONDS} s`);
      const cpuBefore = await cpuSeconds(server!.pid);
      const r = await runWrk({
        url: wrkUrl,
        bodyFile,
        token: key,
        connections: CONNECTIONS,
        seconds: WRK_SECONDS,
      });
      const rate = ((r.statuses['200'] ?? 0) * BATCH) / r.durationSeconds;
      log(
        `wrk acknowledged ${Math.round(rate)} records/s (statuses ${JSON.stringify(r.statuses)}); letting the server catch up`,
      );
      await settle();
      const serverCpu = (await cpuSeconds(server!.pid))! - cpuBefore!;
      log(
        `server CPU ${((serverCpu / ((r.statuses['200'] ?? 0) * BATCH)) * 1e6).toFixed(1)} µs a record (wrk, load included)`,
      );
      return rate;
    };
    await runWrk({ url: wrkUrl, bodyFile, token: key, connections: CONNECTIONS, seconds: 3 });
    await settle();
    const wrkBefore = await wrkRun('before the push');

    /** One `tributary push` of the input, by the checkout at `root`, into a stream of its own. */
    const push = async (root: string, stream: string) => {
      await api(url, key, 'POST', `/v1/tenants/${TENANT}/streams`, { name: stream, schema: STREAM_SCHEMA });
      log(
        `tributary push (${root}): ${records} records, --batch-records ${BATCH} --concurrency ${CONCURRENCY}`,
      );
      const started = Date.now();
      const serverCpuBefore = await cpuSeconds(server!.pid);
      const child = spawn(
        process.execPath,
        [
          ...(await binNodeFlags(root)),
          'bin/tributary.mjs',
          'push',
          input,
          '--stream',
          stream,
          '--batch-records',
          String(BATCH),
          '--concurrency',
          String(CONCURRENCY),
          '--json',
          '--quiet',
        ],
        {
          cwd: root,
          env: {
            ...process.env,
            TRIBUTARY_URL: url,
            TRIBUTARY_KEY: key,
            TRIBUTARY_TENANT: TENANT,
            NODE_NO_WARNINGS: '1',
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      // The peak of the CLI process itself (node with the tsx loader in-process): VmHWM, read while it runs.
      let peakKiB = 0;
      let cliCpu = 0;
      const sampler = setInterval(() => {
        void readMemory(child.pid!).then((m) => {
          if (m && Number.isFinite(m.hwmKiB)) peakKiB = Math.max(peakKiB, m.hwmKiB);
        });
        void cpuSeconds(child.pid!).then((c) => (cliCpu = Math.max(cliCpu, c ?? 0)));
      }, 100);
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      clearInterval(sampler);
      const seconds = (Date.now() - started) / 1000;
      if (code !== 0) throw new Error(`tributary push exited ${code}: ${out}`);
      const summary = JSON.parse(out) as PushSummary;
      const rate = summary.totals.accepted / seconds;
      const retries = summary.files.reduce((n, f) => n + (f.retries ?? 0), 0);
      log(
        `push acknowledged ${Math.round(rate)} records/s in ${seconds.toFixed(1)} s, ${retries} requests retried; ` +
          `CLI CPU ${((cliCpu / summary.totals.accepted) * 1e6).toFixed(1)} µs a record`,
      );
      log('waiting for every pushed record to load');
      let raw = 0;
      for (
        let last = -1, deadline = Date.now() + 600_000;
        Date.now() < deadline;
        last = raw, await sleep(2000)
      ) {
        raw = await rawTotal(url, key, stream);
        if (raw >= summary.totals.accepted && raw === last) break;
      }
      const serverCpu = (await cpuSeconds(server!.pid))! - serverCpuBefore!;
      log(
        `server CPU ${((serverCpu / summary.totals.accepted) * 1e6).toFixed(1)} µs a record (push, load included)`,
      );
      return { summary, seconds, rate, peakMiB: peakKiB / 1024, raw };
    };

    // Another checkout's CLI first, into its own stream, to compare two versions side by side on this server.
    const baseline = process.env.CLI_BENCH_BASELINE
      ? (await push(path.resolve(process.env.CLI_BENCH_BASELINE), 'baseline')).rate
      : undefined;
    const { summary, seconds, rate: pushRate, peakMiB, raw } = await push(REPO_ROOT, 'pushed');

    // wrk again, after the push, on the server as the push left it (its tables that much bigger): the
    // mean of the two runs compares the push with wrk on a server neither fresher nor older than its own.
    const wrkAfter = await wrkRun('after the push');
    const wrkRate = (wrkBefore + wrkAfter) / 2;
    const ratio = pushRate / wrkRate;
    if (baseline !== undefined)
      log(
        `push ${ratio.toFixed(2)}× wrk; the baseline checkout's push ${(baseline / wrkRate).toFixed(2)}× wrk`,
      );
    const result = {
      at: new Date().toISOString(),
      host: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, wrk ${wrkVersion() ?? '?'}`,
      fileMiB: FILE_MB,
      records,
      accepted: summary.totals.accepted,
      seconds,
      pushRate,
      wrkRate,
      wrkBefore,
      wrkAfter,
      ratio,
      peakMiB,
      raw,
      load: os.loadavg(),
    };
    const pass = (ok: boolean) => (ok ? 'pass' : '**miss**');
    const section = [
      CLI_START,
      '## `tributary push` (npm run bench:cli)',
      '',
      '`bench/cli-push.ts` writes an NDJSON file of the bench records (~200 bytes each), starts the real server',
      `(fresh data dir), measures the rate wrk gets (${CONNECTIONS} connections, JSON arrays of ${BATCH} records, ${WRK_SECONDS} s after`,
      `a 3 s warm-up), lets the server catch up, then runs \`tributary push FILE --batch-records ${BATCH} --concurrency ${CONCURRENCY}\``,
      "through `bin/tributary.mjs` (with its shebang's node flags; it sends with the SDK's sendBatch over the SDK's HTTP/1.1 client)",
      'as its own process into a second stream of the same server, sampling its VmHWM every 100 ms, and waits until',
      'raw holds every record it pushed; then wrk runs once more. The push is compared with the mean of the two wrk',
      'runs, so neither side gets the fresher server; its rate counts from starting the CLI (node start-up',
      'included) to its exit. `npm run bench` does not run it: it writes and pushes a 1 GiB file, which takes',
      'minutes and the disk space on its own.',
      '',
      '```sh',
      'npm run bench:cli   # CLI_BENCH_MB (1024), CLI_BENCH_BASELINE (another checkout), CLI_BENCH_BATCH, CLI_BENCH_CONCURRENCY, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_WRITE=0',
      '```',
      '',
      '| target | goal | measured | |',
      '| --- | --- | --- | --- |',
      `| push throughput | ≥ 0.8× wrk acknowledged | ${ratio.toFixed(2)}× (${Math.round(pushRate).toLocaleString('en-US')} vs ${Math.round(wrkRate).toLocaleString('en-US')} records/s: wrk ${Math.round(wrkBefore).toLocaleString('en-US')} before the push, ${Math.round(wrkAfter).toLocaleString('en-US')} after) | ${pass(ratio >= 0.8)} |`,
      `| CLI peak RSS | ≤ 200 MiB | ${peakMiB.toFixed(0)} MiB | ${pass(peakMiB <= 200)} |`,
      `| exactly once | raw = records pushed | ${raw.toLocaleString('en-US')} of ${summary.totals.accepted.toLocaleString('en-US')} | ${pass(raw === summary.totals.accepted)} |`,
      '',
      `${result.at}, ${result.host}; ${FILE_MB} MiB, ${records.toLocaleString('en-US')} records in ${seconds.toFixed(1)} s;`,
      `load average after ${result.load.map((l) => l.toFixed(2)).join(' / ')}.`,
      CLI_END,
    ].join('\n');
    console.log(section);
    await writeFile(path.join(work, 'cli-push-result.json'), JSON.stringify(result, null, 2));
    if (process.env.BENCH_WRITE !== '0') {
      const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
      await writeFile(file, writeSection(await readFile(file, 'utf8'), SECTION, section));
      log('wrote the cli-push section of BENCHMARKS.md');
    }
    if (ratio < 0.8 || peakMiB > 200 || raw !== summary.totals.accepted) process.exitCode = 1;
  } finally {
    await server?.stop('SIGTERM');
    if (process.env.BENCH_KEEP !== '1') await rm(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}

await main();
