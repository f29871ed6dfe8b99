/**
 * `npm run bench:lambda`: the built Lambda bundle's cold start and its per-request cost, measured by
 * loading dist/lambda's build in fresh child processes the way the Node.js runtime does
 * (bench/lambda-process.ts) and invoking it with ALB events in AWS mode against dynalite and a Firehose
 * sink. Writes its section of BENCHMARKS.md (LAMBDA_WRITE=0 to skip).
 *
 * Options: LAMBDA_RUNS (cold starts, default 7), LAMBDA_REQUESTS (warm requests per record size, 500,
 * after 400 of both sizes to warm the JIT).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createDynamoClient,
  DynamoCatalog,
  ensureTable,
  startDynalite,
} from '../api/adapters/dynamodb/index.js';
import { newKeyMaterial } from '../api/domain/auth/secrets.js';
import { normalizeSpec } from '../api/domain/streams/spec.js';
import { bundleLambda, formatBytes } from '../infra/bundle.js';
import { ALB_LAMBDA_MAX_BODY_BYTES } from '../infra/stack.js';
import { startFirehoseSink, type FirehoseSink } from './firehose-sink.js';
import { startLambda, type LambdaProcess } from './lambda-process.js';
import { makeBatch, STREAM_SCHEMA } from './records.js';
import { renderLambdaSection, type LambdaBenchResult, type RequestCost } from './lambda-report.js';
import { REPO_ROOT } from './server-process.js';
import { writeSection } from './sections.js';
import { percentile } from './stats.js';

const RUNS = Number(process.env.LAMBDA_RUNS ?? 7);
const REQUESTS = Number(process.env.LAMBDA_REQUESTS ?? 500);
const WARMUP = 400;
const RECORDS_PER_REQUEST = 100;
const TABLE = 'tributary-bench';
const log = (msg: string) => console.log(`[bench:lambda] ${msg}`);
const median = (xs: number[]) => percentile(xs, 50);

interface Seeded {
  token: string;
  path: string;
}

/**
 * The catalog as the control plane leaves it after creating a tenant, a key and a stream, written with
 * the same adapter and spec normalisation; only the warehouse DDL is left out, which the ingest
 * function never runs.
 */
async function seed(endpoint: string): Promise<Seeded> {
  const client = createDynamoClient({ endpoint });
  await ensureTable(client, TABLE);
  const catalog = new DynamoCatalog(client, TABLE);
  const now = new Date().toISOString();
  await catalog.createTenant({ name: 'bench', createdAt: now });
  const material = newKeyMaterial();
  await catalog.createKey({
    id: material.id,
    tenant: 'bench',
    name: 'producer',
    role: 'producer',
    streams: ['*'],
    pii: false,
    hash: material.hash,
    createdAt: now,
  });
  const spec = normalizeSpec({ schema: STREAM_SCHEMA }, { buffering: { intervalSeconds: 60, sizeMiB: 64 } });
  await catalog.createStream(
    { ...spec, tenant: 'bench', name: 'events', version: 1, createdAt: now, updatedAt: now, revision: 1 },
    { version: 1, schema: spec.schema, createdAt: now, changes: [] },
  );
  client.destroy();
  return { token: material.token, path: '/v1/tenants/bench/streams/events/records' };
}

function albPost(seeded: Seeded, body: string): object {
  return {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bench/0' },
    },
    httpMethod: 'POST',
    path: seeded.path,
    multiValueQueryStringParameters: {},
    multiValueHeaders: {
      host: ['ingest.example.com'],
      authorization: [`Bearer ${seeded.token}`],
      'content-type': ['application/json'],
      'x-forwarded-proto': ['https'],
    },
    isBase64Encoded: false,
    body,
  };
}

const HEALTH = {
  requestContext: {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bench/0' },
  },
  httpMethod: 'GET',
  path: '/health',
  multiValueQueryStringParameters: {},
  multiValueHeaders: { host: ['ingest.example.com'] },
  isBase64Encoded: false,
  body: '',
};

async function ok(fn: LambdaProcess, event: object): Promise<{ durationMs: number; cpuMs: number }> {
  const out = await fn.invoke<{ statusCode: number; body: string }>(event);
  if (!out.ok) throw new Error(`${out.errorType}: ${out.errorMessage}\n${fn.output()}`);
  if (out.result.statusCode !== 200) throw new Error(`answered ${out.result.statusCode}: ${out.result.body}`);
  return { durationMs: out.durationMs, cpuMs: out.cpuMs };
}

async function warmCost(
  fn: LambdaProcess,
  seeded: Seeded,
  sink: FirehoseSink,
  recordBytes: number,
): Promise<RequestCost> {
  const body = makeBatch(RECORDS_PER_REQUEST, recordBytes, `w${recordBytes}`);
  const before = sink.totals();
  const durations: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const r = await ok(fn, albPost(seeded, body));
    durations.push(r.durationMs);
    cpus.push(r.cpuMs);
  }
  const after = sink.totals();
  const firehoseRecords = after.records - before.records;
  return {
    recordBytes,
    bodyBytes: Buffer.byteLength(body),
    requests: REQUESTS,
    durationMedianMs: median(durations),
    durationP99Ms: percentile(durations, 99),
    cpuMeanMs: cpus.reduce((a, b) => a + b, 0) / cpus.length,
    cpuMedianMs: median(cpus),
    firehoseRecordsPerRequest: firehoseRecords / REQUESTS,
    firehoseBytesPerRequest: (after.bytes - before.bytes) / REQUESTS,
    firehoseBilledBytesPerRequest: (after.billedBytes - before.billedBytes) / REQUESTS,
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-lambda-'));
  const bundle = await bundleLambda({ outdir: path.join(work, 'lambda') });
  log(`bundle: ${formatBytes(bundle.entryBytes)} entry, ${formatBytes(bundle.totalBytes)} in all`);
  // The runtime's own start, for scale: the same host loading a module that only exports a handler.
  const empty = path.join(work, 'empty');
  await mkdir(empty, { recursive: true });
  await writeFile(
    path.join(empty, 'index.mjs'),
    'export const handler = async () => ({ statusCode: 200 });\n',
  );

  const dynamo = await startDynalite();
  const sink = await startFirehoseSink();
  try {
    const seeded = await seed(dynamo.endpoint);
    const env = {
      // What infra/stack.ts sets, with local endpoints instead of the AWS ones.
      TRIBUTARY_MODE: 'aws',
      TRIBUTARY_TABLE_NAME: TABLE,
      TRIBUTARY_FIREHOSE_STREAM: 'raw',
      TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: 'quarantine',
      TRIBUTARY_S3_BUCKET: 'tributary-lake',
      TRIBUTARY_MAX_BODY_BYTES: String(ALB_LAMBDA_MAX_BODY_BYTES),
      TRIBUTARY_ADMIN_KEY: 'bench-admin-key-0123456789abcdef',
      TRIBUTARY_LOG_LEVEL: 'warn',
      NODE_OPTIONS: '--enable-source-maps',
      TRIBUTARY_DYNAMODB_ENDPOINT: dynamo.endpoint,
      TRIBUTARY_FIREHOSE_ENDPOINT: sink.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
    };
    const baseline: number[] = [];
    const baselineCpu: number[] = [];
    const ready: number[] = [];
    const readyCpu: number[] = [];
    const imports: number[] = [];
    const firstHealth: number[] = [];
    const firstHealthCpu: number[] = [];
    const firstIngest: number[] = [];
    const firstIngestCpu: number[] = [];
    const coldBody = makeBatch(RECORDS_PER_REQUEST, 200, 'cold');
    for (let run = 0; run < RUNS; run++) {
      const bare = await startLambda({ bundleDir: empty, env: { NODE_OPTIONS: '--enable-source-maps' } });
      baseline.push(bare.init.processReadyMs);
      baselineCpu.push(bare.init.cpuMs);
      await bare.stop();
      const fn = await startLambda({ bundleDir: bundle.outdir, env });
      try {
        ready.push(fn.init.processReadyMs);
        readyCpu.push(fn.init.cpuMs);
        imports.push(fn.init.importMs);
        const health = await ok(fn, HEALTH);
        firstHealth.push(health.durationMs);
        firstHealthCpu.push(health.cpuMs);
        const ingest = await ok(fn, albPost(seeded, coldBody));
        firstIngest.push(ingest.durationMs);
        firstIngestCpu.push(ingest.cpuMs);
      } finally {
        await fn.stop();
      }
      log(
        `cold start ${run + 1}/${RUNS}: ready ${ready.at(-1)!.toFixed(0)} ms, first ingest ${firstIngest.at(-1)!.toFixed(0)} ms`,
      );
    }

    const fn = await startLambda({ bundleDir: bundle.outdir, env });
    const warm: RequestCost[] = [];
    try {
      // Both sizes through the JIT first, so that neither measurement pays for the optimizing.
      for (let i = 0; i < WARMUP; i++)
        await ok(fn, albPost(seeded, makeBatch(RECORDS_PER_REQUEST, i % 2 ? 1000 : 200, 'warmup')));
      for (const bytes of [200, 1000]) {
        warm.push(await warmCost(fn, seeded, sink, bytes));
        log(`warm ${bytes} B records: ${warm.at(-1)!.cpuMeanMs.toFixed(2)} CPU ms per request`);
      }
    } finally {
      await fn.stop();
    }

    const result: LambdaBenchResult = {
      at: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`,
      loadAverage: os.loadavg(),
      bundle: { entryBytes: bundle.entryBytes, totalBytes: bundle.totalBytes },
      runs: RUNS,
      runtimeReadyMs: median(baseline),
      runtimeReadyCpuMs: median(baselineCpu),
      handlerReadyMs: median(ready),
      handlerReadyCpuMs: median(readyCpu),
      importMs: median(imports),
      firstHealthMs: median(firstHealth),
      firstHealthCpuMs: median(firstHealthCpu),
      firstIngestMs: median(firstIngest),
      firstIngestCpuMs: median(firstIngestCpu),
      recordsPerRequest: RECORDS_PER_REQUEST,
      warm,
    };
    const markdown = renderLambdaSection(result);
    console.log(markdown);
    if (process.env.LAMBDA_WRITE !== '0') {
      const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
      await writeFile(file, writeSection(await readFile(file, 'utf8'), 'lambda', markdown));
      log('wrote the lambda section of BENCHMARKS.md');
    }
  } finally {
    await sink.close();
    await dynamo.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
