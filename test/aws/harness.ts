/**
 * What the AWS-mode end-to-end test runs on: the built Lambda bundle in separate container processes,
 * the catalog table exactly as the synthesized stack declares it, and ALB events.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app.js';
import { LAMBDA_ENTRY_FILE, bundleLambda } from '../../infra/bundle.js';
import type { EmfLine } from '../support/emf.js';

/** One Lambda container: a process of its own, running its own copy of the bundle. */
export interface Container {
  handler(event: ALBEvent): Promise<ALBResult>;
  catalogTableCheck(): Promise<{ state: string; error?: string }>;
  /** The EMF lines it has written to stdout so far. */
  readonly emf: EmfLine[];
  close(): Promise<void>;
}

const RUNNER = fileURLToPath(new URL('./container.mjs', import.meta.url));

export async function buildBundle(dir: string): Promise<string> {
  const report = await bundleLambda({ outdir: path.join(dir, 'bundle') });
  return report.outdir;
}

/**
 * Starts `count` containers on the bundle, each with the given environment (NODE_OPTIONS included, as
 * Lambda passes it). Invocations sent to one container run one after another, as Lambda runs them.
 */
export async function startContainers(
  bundleDir: string,
  count: number,
  env: Record<string, string>,
): Promise<Container[]> {
  const entry = pathToFileURL(path.join(bundleDir, LAMBDA_ENTRY_FILE)).href;
  return Promise.all(Array.from({ length: count }, () => startContainer(entry, env)));
}

async function startContainer(entry: string, env: Record<string, string>): Promise<Container> {
  const child = fork(RUNNER, [entry], { env, execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const emf: EmfLine[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{"_aws"')) emf.push(JSON.parse(line) as EmfLine);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  child.on('message', (msg: { id?: number; result?: unknown; error?: string }) => {
    const waiter = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id!);
    if (msg.error) waiter.reject(new Error(msg.error));
    else waiter.resolve(msg.result);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const drained = once(child.stdout!, 'close');
  let closing: Promise<void> | undefined;
  void exited.then(() => {
    for (const w of pending.values()) w.reject(new Error(`container exited: ${stderr}`));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) =>
      reject(new Error(`container exited with ${code} before it was ready: ${stderr}`)),
    );
  });
  const request = <T>(msg: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...msg, id });
    });
  return {
    handler: (event) => request<ALBResult>({ type: 'invoke', event }),
    catalogTableCheck: () => request({ type: 'check' }),
    emf,
    close: () => {
      if (!closing) {
        child.kill();
        closing = Promise.all([exited, drained]).then(() => undefined);
      }
      return closing;
    },
  };
}

export interface SynthesizedStack {
  /** The catalog table's CloudFormation properties. */
  table: Record<string, unknown>;
  /** The ingest function's environment: literal values, and the logical id a reference names. */
  environment: Record<string, string | { ref: string }>;
}

/** Synthesizes the stack around the bundle and reads what the test needs from its template. */
export function synthesize(bundleDir: string, outdir: string, env: Record<string, string>): SynthesizedStack {
  const { stack } = buildApp({ lambdaBundleDir: bundleDir, outdir, cloudFormationValidation: false, env });
  const template = Template.fromStack(stack);
  const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
  if (tables.length !== 1) throw new Error(`expected one table, found ${tables.length}`);
  const fnId = stack.getLogicalId(stack.ingest.fn.node.defaultChild as never);
  const fn = template.findResources('AWS::Lambda::Function')[fnId] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  const environment: SynthesizedStack['environment'] = {};
  for (const [k, v] of Object.entries(fn.Properties.Environment.Variables)) {
    environment[k] = typeof v === 'string' ? v : { ref: JSON.stringify(v) };
  }
  return { table: (tables[0] as { Properties: Record<string, unknown> }).Properties, environment };
}

/** CreateTable with the template's own keys, attributes, indexes and billing mode (dynalite has no TTL). */
export async function createTableFromTemplate(
  client: DynamoDBClient,
  tableName: string,
  props: Record<string, unknown>,
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: props.BillingMode as CreateTableCommandInput['BillingMode'],
      AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
      GlobalSecondaryIndexes:
        props.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    }),
  );
}

export function albEvent(
  method: string,
  urlPath: string,
  opts: {
    key?: string;
    body?: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): ALBEvent {
  return {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/e2e/abc' },
    },
    httpMethod: method,
    path: urlPath,
    queryStringParameters: opts.query ?? {},
    headers: {
      host: 'ingest.example.com',
      'x-forwarded-proto': 'https',
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.headers ?? {}),
    },
    body: opts.body ?? null,
    isBase64Encoded: false,
  };
}

/** A small seeded generator (mulberry32), so a failing run can be replayed with its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
