import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../../bench/server-process.js';
import { contractFetch } from '../support/contract.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

/**
 * Idempotency-Keys across SIGKILL of the real server process: producers send keyed batches, the
 * process is killed while requests are in flight and started again on the same data dir, and every
 * batch is then sent again with its key, as a producer retries. Each batch must land in raw exactly
 * once, under the batch id its final answer names, and no retry may be told 409
 * `idempotency_in_progress`: the claims the killed process left pending are orphaned, so the first
 * retry recovers or takes them over instead of waiting out the 60 s in-progress expiry.
 */
const ADMIN_KEY = 'idem-crash-admin-key-0123456789abcdef';
const ROUNDS = 3;
const PRODUCERS = 12;
const BATCH = 20;
/** Batches per producer per round: keeps every row under one 10 000-row read. */
const MAX_BATCHES = 8;
const TENANT = 'idem';
const STREAM = 'events';
const ENV = { TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.3' };

interface Sent {
  key: string;
  records: { id: string; payload: string }[];
  /** The batch id of the last 200 for this key, before or after the crash. */
  batchId?: string;
}
interface Answer {
  status: number;
  batchId?: string;
  replayed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = '';
let server: ServerProcess | undefined;
let tenantKey = '';

async function call(
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return contractFetch(`${server!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

async function send(s: Sent): Promise<Answer> {
  const res = await call('POST', `/v1/tenants/${TENANT}/streams/${STREAM}/records`, tenantKey, s.records, {
    'idempotency-key': s.key,
  });
  const replayed = res.headers.get('idempotent-replayed') === 'true';
  if (res.status !== 200) {
    await res.body?.cancel();
    return { status: res.status, replayed };
  }
  const body = (await res.json()) as { batchId: string; accepted: number };
  expect(body.accepted).toBe(BATCH);
  return { status: 200, batchId: body.batchId, replayed };
}

const start = () => startServer({ dataDir: dir, adminKey: ADMIN_KEY, logLevel: 'info', env: ENV });

/** Orphaned claims the store reported replaying at start, from its info log line. */
function orphanedAtStart(output: string): number {
  const line = output.split('\n').find((l) => l.includes('idempotency journal replayed'));
  const n = line ? /"orphaned":(\d+)/.exec(line)?.[1] : undefined;
  if (n === undefined) throw new Error(`no replay line in the server output:\n${output.slice(-4000)}`);
  return Number(n);
}

beforeAll(async () => {
  dir = await tempDir('tributary-idem-crash-');
  server = await start();
  const tenant = await call('POST', '/v1/tenants', ADMIN_KEY, { name: TENANT });
  expect(tenant.status).toBe(201);
  tenantKey = ((await tenant.json()) as { key: { secret: string } }).key.secret;
  const stream = await call('POST', `/v1/tenants/${TENANT}/streams`, tenantKey, {
    name: STREAM,
    schema: {
      type: 'object',
      properties: { id: { type: 'string' }, payload: { type: 'string' } },
      required: ['id', 'payload'],
    },
  });
  expect(stream.status).toBe(201);
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  if (dir) await removeDir(dir);
});

describe('keyed batches across SIGKILL of the server process', () => {
  it('retries after a restart land every batch exactly once, without a 409 wait', async () => {
    const sent: Sent[] = [];
    const statusesBeforeKill = new Map<string, number>();
    let orphaned = 0;
    const retryStatuses = new Map<number, number>();
    let recovered = 0;
    let next = 0;

    /** Sends again until an answer that is not 429/503 (the server may still be recovering). */
    const retry = async (s: Sent): Promise<Answer> => {
      for (let attempt = 0; ; attempt++) {
        const a = await send(s);
        retryStatuses.set(a.status, (retryStatuses.get(a.status) ?? 0) + 1);
        if ((a.status !== 429 && a.status !== 503) || attempt >= 20) return a;
        await sleep(200);
      }
    };

    for (let round = 1; round <= ROUNDS; round++) {
      let stopped = false;
      // Killed once this many batches of the round are answered: the producers are mid-flight then,
      // wherever their requests are (a timer alone may fire after they have all finished).
      const killAfter = PRODUCERS + Math.floor(Math.random() * PRODUCERS * 2);
      let answered = 0;
      let reached!: () => void;
      const enough = new Promise<void>((r) => (reached = r));
      const producer = async (p: number) => {
        for (let b = 0; b < MAX_BATCHES && !stopped; b++) {
          const s: Sent = {
            key: `r${round}.p${p}.b${b}`,
            records: Array.from({ length: BATCH }, () => {
              const n = next++;
              return { id: `id-${n}`, payload: `payload-${n}` };
            }),
          };
          sent.push(s);
          try {
            const a = await send(s);
            const name = `http ${a.status}`;
            statusesBeforeKill.set(name, (statusesBeforeKill.get(name) ?? 0) + 1);
            if (a.status === 200) s.batchId = a.batchId;
            if (++answered >= killAfter) reached();
          } catch {
            // Reset or refused by the kill: unanswered, so it is sent again after the restart.
            statusesBeforeKill.set('no answer', (statusesBeforeKill.get('no answer') ?? 0) + 1);
          }
        }
      };
      const producers = Array.from({ length: PRODUCERS }, (_, p) => producer(p));
      await Promise.race([enough, Promise.all(producers)]);
      const exit = await server!.stop('SIGKILL');
      stopped = true;
      await Promise.all(producers);
      expect(exit.signal).toBe('SIGKILL');

      server = await start();
      orphaned += orphanedAtStart(server.output());
      // Every batch of this round again, acknowledged or not, each with its own key.
      await Promise.all(
        sent
          .filter((s) => s.key.startsWith(`r${round}.`))
          .map(async (s) => {
            const a = await retry(s);
            expect(a.status, `retry of ${s.key}`).toBe(200);
            if (s.batchId) {
              // Acknowledged before the kill: the same answer again, never a second store.
              expect(a.replayed, s.key).toBe(true);
              expect(a.batchId, s.key).toBe(s.batchId);
            } else if (a.replayed) {
              recovered++;
            }
            s.batchId = a.batchId;
          }),
      );
    }
    console.info(
      `idempotency crash test: ${sent.length} batches; before the kills ${JSON.stringify([...statusesBeforeKill])}; ` +
        `${orphaned} orphaned claims replayed; retries ${JSON.stringify([...retryStatuses])}; ` +
        `${recovered} unanswered batches recovered from their receipts`,
    );
    expect(retryStatuses.get(409) ?? 0).toBe(0);
    // The kills did catch claims mid-request, so the orphan path was taken.
    expect(orphaned).toBeGreaterThan(0);

    // Wait until every batch is loaded, then compare raw with what was answered.
    let waiting = sent.map((s) => s.batchId!);
    const deadline = Date.now() + 60_000;
    while (waiting.length > 0 && Date.now() < deadline) {
      const still: string[] = [];
      for (const batchId of waiting) {
        const res = await call(
          'GET',
          `/v1/tenants/${TENANT}/streams/${STREAM}/batches/${batchId}`,
          tenantKey,
        );
        const state = res.status === 200 ? ((await res.json()) as { state: string }).state : '';
        if (res.status !== 200) await res.body?.cancel();
        if (state !== 'loaded') still.push(batchId);
      }
      waiting = still;
      if (waiting.length > 0) await sleep(250);
    }
    expect(waiting).toEqual([]);
    const res = await call(
      'GET',
      `/v1/tenants/${TENANT}/streams/${STREAM}/records?layer=raw&limit=10000`,
      tenantKey,
    );
    expect(res.status).toBe(200);
    const raw = (await res.json()) as { total: number; records: { payload: string; _batch_id: string }[] };
    expect(raw.total).toBe(raw.records.length);
    const batchOf = new Map<string, string[]>();
    for (const r of raw.records) batchOf.set(r.payload, [...(batchOf.get(r.payload) ?? []), r._batch_id]);
    const wrong: string[] = [];
    for (const s of sent) {
      for (const r of s.records) {
        const got = batchOf.get(r.payload) ?? [];
        if (got.length !== 1 || got[0] !== s.batchId)
          wrong.push(`${s.key} ${r.payload}: ${JSON.stringify(got)} want ${s.batchId}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(raw.total).toBe(sent.length * BATCH);
  }, 240_000);
});
