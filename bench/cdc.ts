import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { markers, writeSection } from './sections.js';
import { REPO_ROOT, startServer, type ServerProcess } from './server-process.js';

/**
 * `npm run bench:cdc`: the rate of Debezium change events per second the entity layer keeps up with.
 *
 * The real server (its own process, fresh data dir, default settings) gets one cdc stream of a
 * PostgreSQL-like table of CDC_KEYS rows. A generator plays the database: updates (80%), deletes (10%)
 * and re-creates (10%) of random rows, each with the next LSN, in batches of CDC_BATCH events sent
 * shuffled, CDC_CONCURRENCY requests at most in flight, and one batch in fifty sent twice (a
 * redelivery). The rate steps up (CDC_RATES); each step paces events for CDC_STEP_SECONDS, then waits
 * until the entity layer equals the table the events describe, read in full through the API.
 *
 * A step keeps up when the acknowledged rate reaches 95% of the target (no 429s, no falling behind),
 * the loader's lag (oldest acknowledged but unloaded record, from the metrics API) stays under
 * CDC_MAX_LAG_SECONDS, and the entity layer is exact within CDC_MAX_CATCHUP_SECONDS of the last
 * acknowledgement. The answer is the highest step that keeps up. Entity query times are reported too:
 * the layer is a view over raw, computed by every read, so they grow with raw.
 */
const num = (name: string, def: number) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const RATES = (process.env.CDC_RATES ?? '1000,2500,5000,10000,20000,40000')
  .split(',')
  .map((r) => Number(r.trim()));
const STEP_SECONDS = num('CDC_STEP_SECONDS', 15);
const KEYS = num('CDC_KEYS', 5000);
const BATCH = num('CDC_BATCH', 500);
const CONCURRENCY = num('CDC_CONCURRENCY', 8);
const MAX_LAG_SECONDS = num('CDC_MAX_LAG_SECONDS', 5);
const MAX_CATCHUP_SECONDS = num('CDC_MAX_CATCHUP_SECONDS', 15);
const ADMIN_KEY = 'bench-cdc-admin-key-0123456789abcdef';
const TENANT = 'bench';
const STREAM = 'customers';
const SECTION = 'cdc';

const log = (msg: string) => console.error(`[bench:cdc] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  id: number;
  name: string;
  email: string;
  balance: number;
}

/** The source table and its change log: every change is one bare (schemas.enable=false) event. */
class Source {
  readonly rows = new Map<number, Row>();
  private lsn = 24_023_128;
  private txId = 555;
  private n = 0;

  constructor(private readonly rand: () => number) {
    for (let id = 1; id <= KEYS; id++) this.rows.set(id, this.row(id));
  }

  /** The initial snapshot: one `r` per row, all at the snapshot's LSN. */
  snapshot(): unknown[] {
    const source = this.source();
    this.lsn += 64;
    return [...this.rows.values()].map((row) => ({
      before: null,
      after: row,
      source: { ...source, snapshot: 'true' },
      op: 'r',
      ts_ms: Date.now(),
    }));
  }

  next(): unknown {
    const id = 1 + Math.floor(this.rand() * KEYS);
    const old = this.rows.get(id);
    const roll = this.rand();
    let event: Record<string, unknown>;
    if (!old) {
      const row = this.row(id);
      this.rows.set(id, row);
      event = { before: null, after: row, op: 'c' };
    } else if (roll < 0.1) {
      this.rows.delete(id);
      event = { before: { id, name: null, email: null, balance: null }, after: null, op: 'd' };
    } else {
      const row = { ...old, balance: Math.round(this.rand() * 1e6) / 100, name: `n${this.n}` };
      this.rows.set(id, row);
      event = { before: null, after: row, op: 'u' };
    }
    return { ...event, source: this.source(), ts_ms: Date.now() };
  }

  private row(id: number): Row {
    this.n++;
    return {
      id,
      name: `n${this.n}`,
      email: `c${id}@example.com`,
      balance: Math.round(this.rand() * 1e6) / 100,
    };
  }

  private source() {
    this.lsn += 56 + Math.floor(this.rand() * 200);
    this.txId++;
    return {
      version: '2.7.0.Final',
      connector: 'postgresql',
      name: 'bench',
      ts_ms: Date.now(),
      snapshot: 'false',
      db: 'shop',
      schema: 'public',
      table: 'customers',
      txId: this.txId,
      lsn: this.lsn,
      xmin: null,
    };
  }
}

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

async function api<T>(url: string, key: string, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface StepResult {
  target: number;
  acked: number;
  ackRate: number;
  status429: number;
  maxLagSeconds: number;
  catchUpSeconds: number | undefined;
  exact: boolean;
  entityQueryMs: { p50: number; max: number };
  rawRows: number;
  keptUp: boolean;
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-cdc-'));
  let server: ServerProcess | undefined;
  try {
    server = await startServer({ dataDir: path.join(work, 'data'), adminKey: ADMIN_KEY });
    const url = server.url;
    const tenant = await api<{ key: { secret: string } }>(url, ADMIN_KEY, 'POST', '/v1/tenants', {
      name: TENANT,
    });
    const key = tenant.key.secret;
    await api(url, key, 'POST', `/v1/tenants/${TENANT}/streams`, {
      name: STREAM,
      schema: {
        type: 'object',
        required: ['id'],
        properties: {
          id: { type: 'integer' },
          name: { type: ['string', 'null'] },
          email: { type: ['string', 'null'] },
          balance: { type: ['number', 'null'] },
        },
      },
      dedupe: { key: ['id'] },
      cdc: { format: 'debezium', sourcePosition: 'lsn' },
    });
    const rand = random(7);
    const source = new Source(rand);
    const recordsPath = `/v1/tenants/${TENANT}/streams/${STREAM}/records`;
    let rawExpected = 0;

    const post = async (events: unknown[]): Promise<number> => {
      const res = await fetch(`${url}${recordsPath}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
      await res.arrayBuffer();
      return res.status;
    };

    /** Reads the whole entity layer; true when it equals the source table. */
    const entityExact = async (): Promise<{ exact: boolean; ms: number }> => {
      const started = performance.now();
      const page = await api<{ total: number; records: Array<Record<string, unknown>> }>(
        url,
        key,
        'GET',
        `${recordsPath}?layer=entity&limit=10000`,
      );
      const ms = performance.now() - started;
      if (page.total !== source.rows.size) return { exact: false, ms };
      for (const r of page.records) {
        const want = source.rows.get(r.id as number);
        if (!want || want.name !== r.name || want.balance !== r.balance || want.email !== r.email)
          return { exact: false, ms };
      }
      return { exact: true, ms };
    };
    const rawTotal = async () =>
      (await api<{ total: number }>(url, key, 'GET', `${recordsPath}?layer=raw&limit=1`)).total;

    log(`snapshot: ${KEYS} rows`);
    const snapshot = source.snapshot();
    for (let i = 0; i < snapshot.length; i += BATCH) {
      if ((await post(snapshot.slice(i, i + BATCH))) !== 200) throw new Error('snapshot refused');
    }
    rawExpected += snapshot.length;
    for (let t = Date.now(); !(await entityExact()).exact;) {
      if (Date.now() - t > 60_000) throw new Error('snapshot never reached the entity layer');
      await sleep(250);
    }

    const results: StepResult[] = [];
    for (const target of RATES) {
      log(`step: ${target} events/s for ${STEP_SECONDS} s`);
      let inFlight = 0;
      let acked = 0;
      let status429 = 0;
      let maxLag = 0;
      const queryMs: number[] = [];
      let stop = false;
      let failure: Error | undefined;
      // Samples the loader lag and the entity query time while events flow.
      const sampler = (async () => {
        while (!stop) {
          const m = await api<{ lagSeconds: number }>(
            url,
            key,
            'GET',
            `/v1/tenants/${TENANT}/streams/${STREAM}/metrics?minutes=1`,
          );
          maxLag = Math.max(maxLag, m.lagSeconds);
          const started = performance.now();
          await api(url, key, 'GET', `${recordsPath}?layer=entity&limit=1`);
          queryMs.push(performance.now() - started);
          await sleep(1000);
        }
      })();
      const requests = new Set<Promise<void>>();
      const started = performance.now();
      let due = 0;
      let sent = 0;
      while (performance.now() - started < STEP_SECONDS * 1000) {
        due = Math.floor(((performance.now() - started) / 1000) * target);
        while (due - sent >= Math.min(BATCH, target / 10) && inFlight < CONCURRENCY) {
          const n = Math.min(BATCH, due - sent);
          const events = shuffle(
            Array.from({ length: n }, () => source.next()),
            rand,
          );
          // One batch in fifty is delivered twice, as after a connector restart.
          const copies = rand() < 0.02 ? 2 : 1;
          sent += n;
          for (let c = 0; c < copies; c++) {
            inFlight++;
            const p: Promise<void> = post(events)
              .then((status) => {
                if (status === 200) {
                  if (c === 0) acked += n;
                  rawExpected += n;
                } else if (status === 429) status429++;
                else failure ??= new Error(`ingest answered ${status}`);
              })
              .catch((err: unknown) => {
                failure ??= new Error('an ingest request failed', { cause: err });
              })
              .finally(() => {
                inFlight--;
                requests.delete(p);
              });
            requests.add(p);
          }
        }
        await sleep(5);
      }
      await Promise.all(requests);
      if (failure) throw failure;
      const elapsed = (performance.now() - started) / 1000;
      const lastAck = performance.now();
      // A 429 dropped those events: the source table no longer matches what was stored, so the step fails.
      let catchUp: number | undefined;
      let exact = false;
      while ((performance.now() - lastAck) / 1000 < Math.max(MAX_CATCHUP_SECONDS, 60)) {
        const r = await entityExact();
        queryMs.push(r.ms);
        if (r.exact) {
          exact = true;
          catchUp = (performance.now() - lastAck) / 1000;
          break;
        }
        await sleep(200);
      }
      stop = true;
      await sampler;
      const rawRows = await rawTotal();
      const ackRate = acked / elapsed;
      const result: StepResult = {
        target,
        acked,
        ackRate,
        status429,
        maxLagSeconds: maxLag,
        catchUpSeconds: catchUp,
        exact,
        entityQueryMs: { p50: quantile(queryMs, 0.5), max: Math.max(...queryMs) },
        rawRows,
        keptUp:
          status429 === 0 &&
          ackRate >= 0.95 * target &&
          maxLag <= MAX_LAG_SECONDS &&
          exact &&
          catchUp !== undefined &&
          catchUp <= MAX_CATCHUP_SECONDS,
      };
      results.push(result);
      log(
        `  acked ${Math.round(ackRate)}/s, 429s ${status429}, max lag ${maxLag.toFixed(1)} s, entity exact after ${catchUp?.toFixed(1) ?? '—'} s, entity query p50 ${result.entityQueryMs.p50.toFixed(0)} ms, raw ${rawRows} (expected ${rawExpected}) → ${result.keptUp ? 'kept up' : 'fell behind'}`,
      );
      if (!result.keptUp) break;
    }

    const best = results.filter((r) => r.keptUp).at(-1);
    const section = report(results, best);
    console.log(section);
    if (process.env.BENCH_WRITE !== '0') {
      const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
      await writeFile(file, writeSection(await readFile(file, 'utf8'), SECTION, section));
      log('wrote BENCHMARKS.md');
    }
  } finally {
    await server?.stop('SIGTERM');
    if (process.env.BENCH_KEEP !== '1') await rm(work, { recursive: true, force: true });
  }
}

/** Which of the keep-up conditions a step missed. */
function whyNot(r: StepResult): string {
  const why = [
    ...(r.status429 > 0
      ? ['ingest answered 429 (those events are missing, so the entity never matches)']
      : []),
    ...(r.ackRate < 0.95 * r.target ? ['acknowledged under 95% of the target'] : []),
    ...(r.maxLagSeconds > MAX_LAG_SECONDS ? [`load lag over ${MAX_LAG_SECONDS} s`] : []),
    ...(r.status429 === 0 && (!r.exact || (r.catchUpSeconds ?? Infinity) > MAX_CATCHUP_SECONDS)
      ? [`entity not exact within ${MAX_CATCHUP_SECONDS} s`]
      : []),
  ];
  return why.join('; ');
}

function report(results: StepResult[], best: StepResult | undefined): string {
  const { start, end } = markers(SECTION);
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const cpus = os.cpus();
  const rows = results.map(
    (r) =>
      `| ${n(r.target)} | ${n(r.ackRate)} | ${r.status429} | ${r.maxLagSeconds.toFixed(1)} | ${r.catchUpSeconds === undefined ? 'never' : r.catchUpSeconds.toFixed(1)} | ${n(r.entityQueryMs.p50)} / ${n(r.entityQueryMs.max)} | ${n(r.rawRows)} | ${r.keptUp ? 'yes' : `**no**: ${whyNot(r)}`} |`,
  );
  return [
    start,
    '## Change data capture (npm run bench:cdc)',
    '',
    '`bench/cdc.ts` starts the real server (own process, fresh data dir, default settings) with one cdc stream',
    `(PostgreSQL-like events, \`sourcePosition: lsn\`) of a ${n(KEYS)}-row table, sends its snapshot, then plays`,
    'the database at stepped rates: updates (80%), deletes and re-creates of random rows, each with the next LSN,',
    `in JSON arrays of ${BATCH} events shuffled within the batch, at most ${CONCURRENCY} requests in flight, one`,
    `batch in fifty sent twice (a redelivery). Each step lasts ${STEP_SECONDS} s; then the bench reads the whole`,
    'entity layer through the API until it equals the table the events describe. A step keeps up when the',
    `acknowledged rate is at least 95% of the target with no 429, the loader lag (metrics API) stays within`,
    `${MAX_LAG_SECONDS} s, and the entity layer is exact within ${MAX_CATCHUP_SECONDS} s of the last acknowledgement.`,
    'The entity layer is a view over raw, computed by every read, so a read costs more as raw grows (see',
    'the entity read and raw rows columns): the rate it keeps up with holds for raw of the size shown, and a',
    'sustained rate makes raw, and so every entity read, grow. `npm run bench` does not run it.',
    '',
    '```sh',
    'npm run bench:cdc   # CDC_RATES, CDC_STEP_SECONDS, CDC_KEYS, CDC_BATCH, CDC_CONCURRENCY, CDC_NOTE, BENCH_WRITE=0',
    '```',
    '',
    best
      ? `**The entity layer kept up with ${n(best.target)} change events/s** (${n(best.ackRate)} acknowledged/s, entity exact ${best.catchUpSeconds!.toFixed(1)} s after the last acknowledgement).`
      : '**The entity layer did not keep up with the lowest step.**',
    '',
    '| target events/s | acknowledged/s | 429s | max load lag s | entity exact after s | entity read p50 / max ms | raw rows | kept up |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...(process.env.CDC_NOTE ? [process.env.CDC_NOTE, ''] : []),
    `${new Date().toISOString()}, ${cpus.length} × ${cpus[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version};`,
    `load average after ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}.`,
    end,
  ].join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
