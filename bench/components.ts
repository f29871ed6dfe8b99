import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { DuckDbWarehouse } from '../api/adapters/duckdb/index.js';
import { encodeEntry } from '../api/adapters/local/frame.js';
import { objectKey } from '../api/adapters/local/lake.js';
import { nodeLogFs, WriteAheadLog, type LogFs } from '../api/adapters/local/log.js';
import { buildBatch } from '../api/domain/records/build-batch.js';
import { createBatchIdGenerator } from '../api/domain/records/ids.js';
import { DEFAULT_BODY_LIMITS, parseRecordsBody } from '../api/domain/records/parse-body.js';
import type { ParsedRecordsBody } from '../api/domain/records/types.js';
import { ValidatorCache } from '../api/domain/records/validators.js';
import { parseObjectSchema } from '../api/domain/schema/index.js';
import type { Stream } from '../api/domain/streams/types.js';
import type { IngestBatch, LakeObject } from '../api/ports.js';
import { makeBatch, STREAM_SCHEMA } from './records.js';
import { renderComponentsText } from './report.js';

/**
 * In-process CPU cost of each stage of the ingest pipeline, calling the real code on the bench's own
 * body, so the benchmark can say where Tributary's CPU goes relative to the baseline's JSON.parse.
 * `npx tsx bench/components.ts` runs it alone.
 */

export interface ComponentCost {
  name: string;
  /** The code the stage runs. */
  runs: string;
  records: number;
  /** CPU ms (user + system, every thread of the process, DuckDB's included) per 1,000 records. */
  cpuMs: number;
  /** Wall-clock ms per 1,000 records. */
  wallMs: number;
  /** cpuMs over the baseline's cpuMs. */
  vsBaseline: number;
  note?: string;
}

export interface ComponentCosts {
  /** Measured seconds per in-memory stage (the warehouse load runs once, however long it takes). */
  secondsPerStage: number;
  batch: number;
  recordBytes: number;
  bodyBytes: number;
  /** JSON.parse of the body: the baseline server's per-request work minus HTTP. */
  baseline: ComponentCost;
  /** Tributary's stages, in pipeline order; each record goes through every one once. */
  stages: ComponentCost[];
  total: { cpuMs: number; vsBaseline: number };
  budget: {
    /** Cores assumed free for the server (the machine's minus what the load generator uses). */
    cores: number;
    /** cores × 1e6 / total.cpuMs */
    recordsPerSecond: number;
    /** 1e6 / baseline.cpuMs: JSON.parse alone on one core. */
    baselineRecordsPerSecond: number;
    ratio: number;
  };
}

export interface MeasureComponentsOptions {
  /** Measured seconds per stage after a short warm-up (default 1.5). */
  seconds?: number;
  /** Cores available to the server (default 1.6: two cores minus what wrk takes). */
  cores?: number;
  batch?: number;
  recordBytes?: number;
  log?: (msg: string) => void;
}

const TENANT = 'bench';
const STREAM = 'events';
const WAL_CONCURRENCY = 32;
const LAKE_OBJECTS = 20;
const LAKE_GROUP = 5;
const LINES_PER_OBJECT = 5_000;
const ROUNDS = 3;

interface Sample {
  records: number;
  cpuMs: number;
  wallMs: number;
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
};

/**
 * Calls `step` (returning the records it handled) for a warm-up, then in ROUNDS rounds over `seconds`
 * in all; keeps the round with the least CPU per record, since a shared machine only ever adds to it.
 */
async function timed(seconds: number, step: () => number | Promise<number>): Promise<Sample> {
  const warmEnd = performance.now() + Math.min(500, seconds * 300);
  while (performance.now() < warmEnd) await step();
  let best: Sample | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + (seconds * 1000) / ROUNDS;
    let records = 0;
    while (performance.now() < end) {
      const n = step();
      records += typeof n === 'number' ? n : await n;
    }
    const s = { records, cpuMs: cpuMsSince(cpu0), wallMs: performance.now() - t0 };
    if (!best || s.cpuMs / s.records < best.cpuMs / best.records) best = s;
  }
  return best!;
}

/** The body the way the Node server hands it over: an async iterable of chunks (here, one). */
function oneChunk(buf: Buffer): AsyncIterable<Uint8Array> {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- an async iterable, like the server's body
    async *[Symbol.asyncIterator]() {
      yield buf;
    },
  };
}

/** As ingest parses a request without an Idempotency-Key (so no hash). */
function parse(body: Buffer): Promise<ParsedRecordsBody> {
  return parseRecordsBody({
    body: oneChunk(body),
    contentType: 'application/json',
    contentEncoding: undefined,
    contentLength: String(body.length),
    hash: false,
    limits: DEFAULT_BODY_LIMITS,
  });
}

function benchStream(): Stream {
  const at = new Date().toISOString();
  return {
    tenant: TENANT,
    name: STREAM,
    version: 1,
    createdAt: at,
    updatedAt: at,
    revision: 1,
    schema: parseObjectSchema(STREAM_SCHEMA),
    piiFields: [],
    clusterBy: [],
    compatibility: 'BACKWARD',
    buffering: { intervalSeconds: 1, sizeMiB: 5 },
  };
}

type BuildBatch = (parsed: ParsedRecordsBody) => IngestBatch;

/** The ingest verb's own batch building (validate, then lake and quarantine lines), as it runs per request. */
function batchBuilder(stream: Stream): BuildBatch {
  const compiled = new ValidatorCache().get(stream);
  const nextBatchId = createBatchIdGenerator(Date.now);
  return (parsed) => buildBatch(stream, compiled, parsed, nextBatchId(), new Date().toISOString()).batch;
}

/** Keeps WAL_CONCURRENCY appends in flight (like concurrent requests) and counts the fdatasyncs. */
async function measureLog(
  dir: string,
  frame: Buffer,
  recordsPerFrame: number,
  seconds: number,
): Promise<Sample & { syncs: number }> {
  let syncs = 0;
  const fs: LogFs = {
    create: async (file) => {
      const fh = await nodeLogFs.create(file);
      return {
        writev: (bufs) => fh.writev(bufs),
        datasync: () => {
          syncs++;
          return fh.datasync();
        },
        truncate: (len) => fh.truncate(len),
        write: (buf, offset, length, position) => fh.write(buf, offset, length, position),
        close: () => fh.close(),
      };
    },
    syncDir: (d) => nodeLogFs.syncDir(d),
  };
  // Sealed segments with nothing pending are deleted, so the disk holds at most about one segment.
  const wal = new WriteAheadLog({
    dir,
    segmentBytes: 64 * 1024 * 1024,
    fs,
    logger: pino({ level: 'silent' }),
  });
  await wal.recover();
  await wal.openActive(1);
  let lsn = 1;
  const run = async (ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let appends = 0;
    await Promise.all(
      Array.from({ length: WAL_CONCURRENCY }, async () => {
        while (performance.now() < end) {
          await wal.append(lsn++, frame, () => undefined);
          appends++;
        }
      }),
    );
    return appends;
  };
  try {
    await run(Math.min(500, seconds * 300));
    syncs = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const appends = await run(seconds * 1000);
    return {
      records: appends * recordsPerFrame,
      cpuMs: cpuMsSince(cpu0),
      wallMs: performance.now() - t0,
      syncs,
    };
  } finally {
    await wal.close();
  }
}

/** Lake objects of LINES_PER_OBJECT lines each, built by the ingest loop itself so the lines are exact. */
async function writeLakeObjects(
  dir: string,
  count: number,
  batch: number,
  recordBytes: number,
  build: BuildBatch,
): Promise<LakeObject[]> {
  const objs: LakeObject[] = [];
  const perObject = Math.max(1, Math.round(LINES_PER_OBJECT / batch));
  for (let o = 0; o < count; o++) {
    const blocks: Buffer[] = [];
    for (let b = 0; b < perObject; b++) {
      const offset = (o * perObject + b) * batch;
      blocks.push(build(await parse(Buffer.from(makeBatch(batch, recordBytes, 'evt', offset)))).records);
    }
    const bytes = Buffer.concat(blocks);
    const first = o * perObject + 1;
    const key = objectKey(
      { kind: 'raw', tenant: TENANT, stream: STREAM, firstLsn: first, lastLsn: first + perObject - 1 },
      new Date(),
      false,
    );
    const file = path.join(dir, `${o}.ndjson`);
    await writeFile(file, bytes);
    objs.push({
      tenant: TENANT,
      stream: STREAM,
      kind: 'raw',
      key,
      path: file,
      bytes: bytes.length,
      records: perObject * batch,
    });
  }
  return objs;
}

/**
 * One warm-up object, then LAKE_OBJECTS objects loaded LAKE_GROUP per call (as the loader groups
 * ready objects), then close, which checkpoints. The server's DuckDB settings.
 */
async function measureWarehouse(
  dir: string,
  stream: Stream,
  objs: LakeObject[],
): Promise<Sample & { loadCpuMs: number }> {
  const warehouse = new DuckDbWarehouse({
    dir,
    logger: pino({ level: 'silent' }),
    memoryLimit: '64MB',
    threads: 1,
  });
  let closed = false;
  try {
    await warehouse.createStream(stream);
    const [warm, ...timedObjs] = objs;
    await warehouse.loadObjects([warm], stream);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let rows = 0;
    for (let i = 0; i < timedObjs.length; i += LAKE_GROUP) {
      const loaded = await warehouse.loadObjects(timedObjs.slice(i, i + LAKE_GROUP), stream);
      for (const l of loaded) rows += l.rows;
    }
    const loadCpuMs = cpuMsSince(cpu0);
    closed = true;
    await warehouse.close();
    const records = timedObjs.reduce((n, o) => n + o.records, 0);
    if (rows !== records) throw new Error(`warehouse loaded ${rows} rows of ${records}`);
    return { records, cpuMs: cpuMsSince(cpu0), wallMs: performance.now() - t0, loadCpuMs };
  } finally {
    if (!closed) await warehouse.close();
  }
}

const per1000 = (ms: number, records: number) => (ms * 1000) / records;

/** Measures every stage in turn (about 10–15 s in all) in a temp dir it removes afterwards. */
export async function measureComponents(opts: MeasureComponentsOptions = {}): Promise<ComponentCosts> {
  const seconds = opts.seconds ?? 1.5;
  const cores = opts.cores ?? 1.6;
  const batch = opts.batch ?? 100;
  const recordBytes = opts.recordBytes ?? 200;
  const log = opts.log ?? (() => undefined);
  const body = Buffer.from(makeBatch(batch, recordBytes));
  const stream = benchStream();
  const build = batchBuilder(stream);
  const parsed = await parse(body);
  const built = build(parsed);
  if (built.recordCount !== batch) throw new Error(`bench records were rejected: ${built.rejectCount}`);
  const { frame } = encodeEntry(1, built);
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-components-'));
  try {
    const samples: { name: string; runs: string; s: Sample; note?: string }[] = [];
    const stage = async (name: string, runs: string, step: () => number | Promise<number>) => {
      log(`components: ${name}`);
      samples.push({ name, runs, s: await timed(seconds, step) });
    };
    const jsonParse = () => (JSON.parse(body.toString('utf8')) as unknown[]).length;
    await stage('baseline: JSON.parse', 'JSON.parse(body.toString())', jsonParse);
    await stage('ingest: parse + scan', 'parseRecordsBody', async () => (await parse(body)).records.length);
    await stage(
      'ingest: validate + build lines',
      'buildBatch (compiled validator, NdjsonBlock)',
      () => build(parsed).recordCount,
    );
    let lsn = 1;
    await stage('log frame', 'encodeEntry', () => {
      encodeEntry(lsn++, built);
      return built.recordCount;
    });

    log(`components: durable log (${WAL_CONCURRENCY} appends in flight)`);
    const wal = await measureLog(path.join(work, 'log'), frame, batch, seconds);
    samples.push({
      name: 'durable log',
      runs: `WriteAheadLog.append ×${WAL_CONCURRENCY} in flight, group commit`,
      s: wal,
      note: `${Math.round(wal.records / batch / Math.max(1, wal.syncs))} frames per fdatasync, ${Math.round(wal.syncs / (wal.wallMs / 1000))} fdatasync/s`,
    });

    log(`components: warehouse load (${LAKE_OBJECTS} × ${LINES_PER_OBJECT} lines)`);
    const lake = path.join(work, 'lake');
    await mkdir(lake);
    const objs = await writeLakeObjects(lake, LAKE_OBJECTS + 1, batch, recordBytes, build);
    const wh = await measureWarehouse(path.join(work, 'warehouse'), stream, objs);
    samples.push({
      name: 'warehouse load',
      runs: `DuckDbWarehouse.loadObjects, ${LAKE_GROUP} objects a call, + close (CHECKPOINT)`,
      s: wh,
      note: `loads ${per1000(wh.loadCpuMs, wh.records).toFixed(2)} + checkpoint/close ${per1000(wh.cpuMs - wh.loadCpuMs, wh.records).toFixed(2)} ms CPU; ${LAKE_OBJECTS} objects of ${objs[0].records.toLocaleString('en-US')} lines, memory_limit 64MB, threads 1`,
    });

    // Measured again last, keeping the cheaper: every ratio divides by it, so a busy spell on the shared
    // machine during the first measurement would skew them all.
    log('components: baseline again');
    const again = await timed(seconds, jsonParse);
    if (again.cpuMs / again.records < samples[0].s.cpuMs / samples[0].s.records) samples[0].s = again;
    samples[0].note = 'the cheaper of a measurement first and one last';
    const baseMs = per1000(samples[0].s.cpuMs, samples[0].s.records);
    const cost = ({ name, runs, s, note }: (typeof samples)[number]): ComponentCost => {
      const cpuMs = per1000(s.cpuMs, s.records);
      return {
        name,
        runs,
        records: s.records,
        cpuMs,
        wallMs: per1000(s.wallMs, s.records),
        vsBaseline: cpuMs / baseMs,
        ...(note ? { note } : {}),
      };
    };
    const [baseline, ...stages] = samples.map(cost);
    const total = stages.reduce((n, c) => n + c.cpuMs, 0);
    const recordsPerSecond = (cores * 1e6) / total;
    const baselineRecordsPerSecond = 1e6 / baseMs;
    return {
      secondsPerStage: seconds,
      batch,
      recordBytes,
      bodyBytes: body.length,
      baseline,
      stages,
      total: { cpuMs: total, vsBaseline: total / baseMs },
      budget: {
        cores,
        recordsPerSecond,
        baselineRecordsPerSecond,
        ratio: recordsPerSecond / baselineRecordsPerSecond,
      },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const costs = await measureComponents({ log: (m) => console.error(`[bench] ${m}`) });
  console.log(renderComponentsText(costs));
}
