import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, startServer, type ServerProcess } from '../../../bench/server-process.js';
import { capture, cli, layerTotal, settledRawTotal } from '../../support/cli.js';
import { overloaded, startProxy, type ProxiedRequest } from '../../support/http-proxy.js';
import { removeDir, tempDir } from '../../support/temp-dir.js';

/** The CLI's commands run in-process against the real server; every response is checked against openapi.yaml. */
const ADMIN_KEY = 'cli-commands-admin-key-0123456789abcdef';
const TENANT = 'shop';
const ORDERS = join(REPO_ROOT, 'examples/orders.ndjson');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = '';
let server: ServerProcess;
let key = '';
let env: Record<string, string> = {};

const run = (argv: string[], o: Parameters<typeof cli>[1] = {}) => cli(argv, { env, cwd: dir, ...o });

async function stream(name: string): Promise<{
  version: number;
  updatedAt: string;
  schema: { properties: Record<string, unknown> };
  piiFields: string[];
}> {
  const r = await run(['streams', 'get', name]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as never;
}

beforeAll(async () => {
  dir = await tempDir('tributary-cli-commands-');
  server = await startServer({
    dataDir: join(dir, 'data'),
    adminKey: ADMIN_KEY,
    env: { TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.3' },
  });
  const made = await cli(['tenants', 'create', TENANT], {
    env: { TRIBUTARY_URL: server.url, TRIBUTARY_KEY: ADMIN_KEY },
  });
  expect(made.code, made.stderr).toBe(0);
  key = made.stdout.trim();
  env = { TRIBUTARY_URL: server.url, TRIBUTARY_KEY: key, TRIBUTARY_TENANT: TENANT };
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  if (dir) await removeDir(dir);
});

describe('infer, apply and push on the shipped sample', () => {
  const spec = () => join(dir, 'orders.yaml');

  it('infer prints a spec that apply creates', async () => {
    const inferred = await run(['infer', ORDERS, '--yaml']);
    expect(inferred.code, inferred.stderr).toBe(0);
    await writeFile(spec(), inferred.stdout);
    const doc = parse(inferred.stdout) as { name: string; dedupe: { key: string[] }; piiFields: string[] };
    expect(doc.name).toBe('orders');
    expect(doc.dedupe).toEqual({ key: ['order_id'] });
    expect(doc.piiFields).toEqual(['customer_email']);

    const dry = await run(['apply', '-f', spec(), '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('+ orders: create (13 fields; dedupe order_id; pii customer_email)');
    expect((await run(['streams', 'list', '--json'])).stdout.trim()).toBe('[]');

    const applied = await run(['apply', '-f', spec()]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('created orders');
    const created = await stream('orders');
    expect(Object.keys(created.schema.properties)).toContain('shipping');
    expect(created.piiFields).toEqual(['customer_email']);
  });

  it('apply a second time changes nothing', async () => {
    const before = await stream('orders');
    const again = await run(['apply', '-f', spec()]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('= orders: unchanged');
    expect(again.stdout).toContain('nothing to do');
    const after = await stream('orders');
    expect(after.updatedAt).toBe(before.updatedAt);
    expect(after.version).toBe(1);
  });

  it('apply shows the dry run diff and verdict before evolving a stream', async () => {
    const doc = parse(await readFile(spec(), 'utf8')) as { schema: { properties: Record<string, unknown> } };
    doc.schema.properties.note = { type: 'string' };
    const evolved = join(dir, 'orders-v2.yaml');
    await writeFile(evolved, JSON.stringify(doc));

    const dry = await run(['apply', '-f', evolved, '--dry-run', '--detailed-exitcode']);
    expect(dry.code, dry.stderr).toBe(3);
    expect(dry.stdout).toContain('~ orders: update, compatible, schema version 1 → 2');
    expect(dry.stdout).toContain('+ schema.note: {"type":"string"}');
    expect(dry.stdout).toMatch(/ddl: ALTER TABLE .*note/);
    expect((await stream('orders')).version).toBe(1);

    const applied = await run(['apply', '-f', evolved, '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({
      applied: true,
      plan: [{ name: 'orders', action: 'update', compatible: true }],
    });
    expect((await stream('orders')).version).toBe(2);
  });

  it('apply refuses an incompatible change and changes nothing', async () => {
    const doc = parse(await readFile(spec(), 'utf8')) as { schema: { properties: Record<string, unknown> } };
    doc.schema.properties.amount = { type: 'string' };
    const bad = join(dir, 'orders-bad.yaml');
    await writeFile(bad, JSON.stringify(doc));
    const r = await run(['apply', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('! orders: update, NOT compatible');
    expect(r.stdout).toMatch(/✗ amount: .*/);
    expect(r.stderr).toContain('nothing changed');
    expect((await stream('orders')).version).toBe(2);
  });

  it('push sends the sample and reports what the server acknowledged', async () => {
    const file = join(dir, 'orders.ndjson');
    await copyFile(ORDERS, file);
    const r = await run(['push', file, '--stream', 'orders']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /300 records in 1 batch .*: 300 accepted, 0 rejected, 0 duplicates, 0 unreadable/,
    );
    // Not a terminal: plain progress lines, the last one at the end.
    expect(r.stderr).toMatch(/orders\.ndjson: 0\.1 MiB of 0\.1 MiB \(100%\), 300 records/);
    expect(await settledRawTotal(server.url, key, TENANT, 'orders', 300)).toBe(300);
    expect(await layerTotal(server.url, key, TENANT, 'orders', 'deduped')).toBe(300);
  });

  it('apply --prune deletes only what the file does not name', async () => {
    const other = join(dir, 'other.yaml');
    await writeFile(other, 'name: scratch\nschema: {type: object, properties: {a: {type: string}}}\n');
    expect((await run(['apply', '-f', other])).code).toBe(0);
    const kept = await run(['apply', '-f', spec(), '--dry-run']);
    expect(kept.stdout).toContain('? scratch: not in the file; kept (--prune deletes it)');
    const both = join(dir, 'orders-v2.yaml');
    const pruned = await run(['apply', '-f', both, '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('deleted scratch');
    const list = JSON.parse((await run(['streams', 'list', '--json'])).stdout) as {
      name: string;
      deletedAt?: string;
    }[];
    expect(list.find((s) => s.name === 'scratch')?.deletedAt).toBeDefined();
    expect(list.find((s) => s.name === 'orders')?.deletedAt).toBeUndefined();
  });

  it('streams get --yaml exports a spec that apply finds unchanged', async () => {
    const exported = await run(['streams', 'get', 'orders', '--yaml']);
    expect(exported.code).toBe(0);
    const file = join(dir, 'exported.yaml');
    await writeFile(file, exported.stdout);
    const r = await run(['apply', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('= orders: unchanged');
  });
});

describe('push: CSV, rejects and formats', () => {
  it('reads CSV with a header and quoted fields, typed by the stream schema', async () => {
    const spec = join(dir, 'people.yaml');
    await writeFile(
      spec,
      [
        'name: people',
        'schema:',
        '  type: object',
        '  properties:',
        '    name: {type: string}',
        '    age: {type: [integer, "null"]}',
        '    score: {type: number}',
        '    active: {type: boolean}',
        '    note: {type: string}',
        '  required: [name]',
        'dedupe: {key: [name]}',
      ].join('\n'),
    );
    expect((await run(['apply', '-f', spec])).code).toBe(0);
    const csv = join(dir, 'people.csv');
    await writeFile(
      csv,
      '\ufeffname,age,score,active,note\r\n' +
        'ada,36,9.5,true,"likes ""tea"", and cake"\r\n' +
        'alan,,7,FALSE,"two\r\nlines"\r\n' +
        'grace,85,1e2,false,plain\r\n',
    );
    const r = await run(['push', csv, '--stream', 'people']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 accepted, 0 rejected');
    expect(await settledRawTotal(server.url, key, TENANT, 'people', 3)).toBe(3);
    const rows = JSON.parse(
      `[${(await run(['records', 'people', '--format', 'ndjson'])).stdout.trim().split('\n').join(',')}]`,
    ) as Record<string, unknown>[];
    const pick = ({ name, age, score, active, note }: Record<string, unknown>) => ({
      name,
      age,
      score,
      active,
      note,
    });
    expect(rows.map(pick).sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: 'ada', age: 36, score: 9.5, active: true, note: 'likes "tea", and cake' },
      { name: 'alan', age: null, score: 7, active: false, note: 'two\r\nlines' },
      { name: 'grace', age: 85, score: 100, active: false, note: 'plain' },
    ]);
  });

  it('writes rejects with their errors and line numbers, and exits 3 unless --allow-rejects', async () => {
    const spec = join(dir, 'events.yaml');
    await writeFile(
      spec,
      'name: events\nschema: {type: object, properties: {id: {type: string}, n: {type: integer}}, required: [id, n]}\n',
    );
    expect((await run(['apply', '-f', spec])).code).toBe(0);
    const file = join(dir, 'events.json');
    await writeFile(file, '[\n {"id": "a", "n": 1},\n {"id": "b", "n": "two"},\n {"id": "c", "n": 3}\n]\n');
    const r = await run(['push', file, '--stream', 'events']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('2 accepted, 1 rejected');
    expect(r.stderr).toContain('1 record was rejected (exit 3; --allow-rejects exits 0)');
    const rejects = (await readFile(`${file}.rejects.ndjson`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects).toEqual([
      {
        line: 3,
        batchId: expect.any(String),
        index: 1,
        errors: [{ path: '/n', message: expect.stringContaining('integer') }],
        record: { id: 'b', n: 'two' },
      },
    ]);

    const ndjson = join(dir, 'events.ndjson');
    await writeFile(ndjson, '{"id": "d", "n": 4}\n{"id": "e", "n": \n{"id": "f", "n": 6}\n');
    const allowed = await run(['push', ndjson, '--stream', 'events', '--allow-rejects', '--json']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({
      totals: { records: 2, accepted: 2, invalid: 1 },
      exitCode: 0,
    });
    const unreadable = JSON.parse((await readFile(`${ndjson}.rejects.ndjson`, 'utf8')).trim()) as {
      line: number;
      errors: { message: string }[];
    };
    expect(unreadable.line).toBe(2);
    expect(unreadable.errors[0].message).toMatch(/^malformed JSON/);
  });

  it('a push that fails keeps its checkpoint and says how to go on; one that sent nothing leaves none', async () => {
    const file = join(dir, 'later.ndjson');
    await writeFile(file, '{"id":"l1","n":1}\n{"id":"l2","n":2}\n');
    const failed = await run(['push', file, '--stream', 'later', '--quiet']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^error: .*later\.ndjson lines 1-2: 404 Not Found: .*; progress is saved in .*later\.ndjson\.checkpoint\.json: once fixed, run the same command with --resume\n$/,
    );
    const spec = join(dir, 'later.yaml');
    await writeFile(
      spec,
      'name: later\nschema: {type: object, properties: {id: {type: string}, n: {type: integer}}}\n',
    );
    expect((await run(['apply', '-f', spec])).code).toBe(0);
    const resumed = await run(['push', file, '--stream', 'later', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('2 accepted');
    expect(existsSync(`${file}.checkpoint.json`)).toBe(false);

    const notArray = join(dir, 'object.json');
    await writeFile(notArray, '{"id": "x"}');
    const refused = await run(['push', notArray, '--stream', 'later', '--quiet']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: malformed JSON at line 1, byte 0: expected a JSON array of records ([…])\n',
    );
    expect(existsSync(`${notArray}.checkpoint.json`)).toBe(false);
  });

  it('reads stdin, gzip or not, as NDJSON', async () => {
    const { gzipSync } = await import('node:zlib');
    const r = await run(['push', '-', '--stream', 'events'], {
      stdin: gzipSync('{"id":"g","n":7}\n{"id":"h","n":8}\n'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stdin → events: 2 records in 1 batch');
    expect(r.stdout).toContain('2 accepted');
    expect(existsSync(join(dir, 'stdin.rejects.ndjson'))).toBe(false);
  });
});

describe('push against a server that stays busy', () => {
  const posts = (requests: ProxiedRequest[]) =>
    requests.filter((r) => r.method === 'POST' && r.path.endsWith('/records'));
  const busy = (r: ProxiedRequest) =>
    r.method === 'POST' && r.path.endsWith('/records') ? overloaded(0) : { kind: 'pass' as const };

  it('stops after --timeout of retries with its checkpoint; --resume then sends the same batch once', async () => {
    const spec = join(dir, 'busy.yaml');
    await writeFile(
      spec,
      'name: busy\nschema: {type: object, properties: {id: {type: string}, n: {type: integer}}}\n',
    );
    expect((await run(['apply', '-f', spec])).code).toBe(0);
    const file = join(dir, 'busy.ndjson');
    await writeFile(file, '{"id":"b1","n":1}\n{"id":"b2","n":2}\n');
    const proxy = await startProxy(server.url, busy);
    try {
      const viaProxy = { ...env, TRIBUTARY_URL: proxy.url };
      const gaveUp = await run(['push', file, '--stream', 'busy', '--timeout', '1', '--quiet'], {
        env: viaProxy,
      });
      expect(gaveUp.code).toBe(1);
      expect(gaveUp.stderr).toMatch(
        /^error: .*busy\.ndjson lines 1-2: 429 Too Many Requests: buffers are full.*; still failing after 1 s of retries \(--timeout\); progress is saved in .*busy\.ndjson\.checkpoint\.json: once fixed, run the same command with --resume\n$/,
      );
      expect(posts(proxy.requests).length).toBeGreaterThan(1);

      proxy.release();
      const resumed = await run(['push', file, '--stream', 'busy', '--resume'], { env: viaProxy });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain('2 accepted, 0 rejected, 0 duplicates');
      // Every attempt, refused or not, carried the one key: the batch is the same batch throughout.
      expect(new Set(posts(proxy.requests).map((r) => r.headers['idempotency-key'])).size).toBe(1);
      expect(await settledRawTotal(server.url, key, TENANT, 'busy', 2)).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('with --timeout 0 retries until Ctrl-C, which keeps the checkpoint', async () => {
    const file = join(dir, 'patient.ndjson');
    await writeFile(file, '{"id":"p1","n":1}\n');
    const proxy = await startProxy(server.url, busy);
    try {
      const signals = new EventEmitter();
      const push = run(['push', file, '--stream', 'busy', '--timeout', '0', '--quiet'], {
        env: { ...env, TRIBUTARY_URL: proxy.url },
        signals,
      });
      await proxy.when(() => posts(proxy.requests).length >= 4);
      signals.emit('SIGINT'); // stop sending; the batch in flight is still retried
      signals.emit('SIGINT'); // and now not
      const r = await push;
      expect(r.code, r.stderr).toBe(130);
      expect(existsSync(`${file}.checkpoint.json`)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describe('reads and keys', () => {
  it('records, rejections and receipt show what push sent', async () => {
    const pushed = await run(['push', '-', '--stream', 'events', '--json', '--allow-rejects'], {
      stdin: '{"id":"r1","n":1}\n{"id":"r2","n":"bad"}\n',
    });
    const batch = (JSON.parse(pushed.stdout) as { files: { lastBatchId: string }[] }).files[0].lastBatchId;
    const receipt = await run(['receipt', 'events', batch, '--wait']);
    expect(receipt.code, receipt.stderr).toBe(0);
    expect(JSON.parse(receipt.stdout)).toMatchObject({
      batchId: batch,
      state: 'loaded',
      accepted: 1,
      rejected: 1,
    });

    const table = await run(['records', 'events', '--limit', '2']);
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+n\s+_id\s+_batch_id/);
    expect(table.stderr).toMatch(/2 of \d+ rows in raw/);
    const csv = await run(['records', 'events', '--limit', '1', '--format', 'csv']);
    expect(csv.stdout).toMatch(/^id,n,_id,_batch_id,_received_at,_schema_version\nr1,1,/);

    const rejections = await run(['rejections', 'events', '--batch', batch, '--format', 'ndjson']);
    expect(rejections.code).toBe(0);
    expect(JSON.parse(rejections.stdout.trim())).toMatchObject({
      batchId: batch,
      index: 1,
      record: { id: 'r2', n: 'bad' },
    });
  });

  it('tail prints the newest rows, then rows as they load, until Ctrl-C', async () => {
    const signals = new EventEmitter();
    const stdout = capture();
    const tail = run(['tail', 'events', '-n', '1', '--interval', '1'], { signals, stdout });
    while (!stdout.text.includes('"r1"')) await sleep(100);
    await run(['push', '-', '--stream', 'events'], { stdin: '{"id":"t1","n":1}\n{"id":"t2","n":2}\n' });
    while (!stdout.text.includes('"t2"')) await sleep(100);
    signals.emit('SIGINT');
    const r = await tail;
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['r1', 't1', 't2']);
  });

  it('keys create, list and revoke; a revoked key then fails with a one-line 401', async () => {
    const made = await run([
      'keys',
      'create',
      '--name',
      'loader',
      '--role',
      'producer',
      '--streams',
      'events',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const secret = made.stdout.trim();
    const id = /created key ([a-z0-9]{20})/.exec(made.stderr)![1];
    const listed = await run(['keys', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+loader\\s+producer\\s+events\\s+false`));
    const asProducer = await run(['push', '-', '--stream', 'events'], {
      env: { ...env, TRIBUTARY_KEY: secret },
      stdin: '{"id":"k","n":1}\n',
    });
    expect(asProducer.code, asProducer.stderr).toBe(0);
    expect((await run(['keys', 'revoke', id])).code).toBe(0);
    const revoked = await run(['streams', 'list'], { env: { ...env, TRIBUTARY_KEY: secret } });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toBe('error: 401 Unauthorized: Unknown or revoked API key.\n');
  });
});

describe('progress', () => {
  it('draws a bar with bytes, records, rate, ETA and rejects on a terminal', async () => {
    const spec = join(dir, 'progress.yaml');
    await writeFile(
      spec,
      'name: progress\nschema: {type: object, properties: {id: {type: string}, n: {type: integer}}}\n',
    );
    expect((await run(['apply', '-f', spec])).code).toBe(0);
    const file = join(dir, 'many.ndjson');
    await writeFile(
      file,
      Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: `p${i}`, n: i })).join('\n'),
    );
    // script(1) runs the CLI on a pseudo-terminal and copies what it draws to its own stdout.
    // Through the executable bin itself: its shebang, the tsx loader, then the CLI.
    const command = [
      './bin/tributary.mjs',
      'push',
      file,
      '--stream',
      'progress',
      '--batch-records',
      '100',
      '--concurrency',
      '2',
    ].join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? '',
        TERM: 'xterm',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, out).toBe(0);
    const bar =
      /many\.ndjson \[[█░]{40}\] \d+% \| [\d.]+ MiB\/[\d.]+ MiB \| [\d,]+ records \| [\d,]+ rec\/s \| ETA \S+ \| rejected 0/;
    expect(out).toMatch(bar);
    expect(out).toContain('many.ndjson [████████████████████████████████████████] 100%');
    expect(out).toContain('3,000 records in 30 batches');
  }, 300_000);
});

describe('usage and errors', () => {
  it('exits 2 on usage errors, naming what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['push', 'x.ndjson'], /required option '--stream <stream>'/],
      [['push', 'x.txt', '--stream', 'events'], /cannot tell the format of x.txt/],
      [
        ['push', 'x.ndjson', '--stream', 'events', '--format', 'xml'],
        /--format: 'xml' must be one of ndjson, json, csv/,
      ],
      [
        ['push', 'x.ndjson', '--stream', 'events', '--concurrency', '0'],
        /--concurrency: '0' must be a whole number/,
      ],
      [
        ['push', 'x.ndjson', '--stream', 'events', '--timeout', '5m'],
        /--timeout: '5m' must be a whole number from 0 to 604800/,
      ],
      [['records', 'events', '--layer', 'gold'], /--layer: 'gold' must be one of raw, deduped, entity/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['streams', 'get', 'Bad-Name'], /stream: 'Bad-Name' is not a valid name/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const noTenant = await cli(['streams', 'list'], {
      env: { TRIBUTARY_URL: server.url, TRIBUTARY_KEY: key },
    });
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toBe('error: --tenant is required (or set TRIBUTARY_TENANT)\n');
  });

  it('exits 1 with a one-line message for API and file errors', async () => {
    const missing = await run(['streams', 'get', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: 404 Not Found: .*nope.*\n$/);
    const noFile = await run(['push', join(dir, 'absent.ndjson'), '--stream', 'events']);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toBe(`error: ${join(dir, 'absent.ndjson')}: no such file or directory\n`);
    // A port nothing listens on: taken from the kernel, then let go.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const down = await cli(['streams', 'list'], {
      env: { ...env, TRIBUTARY_URL: `http://127.0.0.1:${port}` },
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`error: Network error: cannot reach http://127.0.0.1:${port} (ECONNREFUSED)\n`);
  });
});
