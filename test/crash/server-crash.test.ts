import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../../bench/server-process.js';
import { contractFetch } from '../support/contract.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

/**
 * Crash safety of the real server process: producers write concurrently, the process is SIGKILLed
 * at a random moment, restarted on the same data dir, five times over. Whatever got a 200 must end
 * up loaded: in raw from the batch that acknowledged it, never loaded twice, once in deduped.
 */
const ADMIN_KEY = 'crash-test-admin-key-0123456789abcdef';
const ROUNDS = 5;
const PRODUCERS = 8;
const BATCH = 50;
/** Batches per producer per round: keeps every row sent (acknowledged or not) under one 10 000-row read. */
const BATCHES_PER_ROUND = 4;
const TENANT = 'crash';
const STREAM = 'events';

interface Row {
  id: string;
  payload: string;
  _batch_id: string;
}
interface Stats {
  acked: number;
  connectionErrors: number;
  otherStatuses: Map<number, number>;
}

/** Deterministic per seed, so a failure can be replayed with CRASH_SEED. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = '';
let server: ServerProcess | undefined;
let tenantKey = '';

async function call(method: string, path: string, key: string, body?: unknown): Promise<Response> {
  return contractFetch(`${server!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

async function rows(layer: 'raw' | 'deduped'): Promise<{ total: number; records: Row[] }> {
  const res = await call(
    'GET',
    `/v1/tenants/${TENANT}/streams/${STREAM}/records?layer=${layer}&limit=10000`,
    tenantKey,
  );
  if (res.status !== 200) throw new Error(`read ${layer}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { total: number; records: Row[] };
}

beforeAll(async () => {
  dir = await tempDir('tributary-crash-');
  server = await startServer({
    dataDir: dir,
    adminKey: ADMIN_KEY,
    logLevel: 'info',
    env: { TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.3' },
  });
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
    dedupe: { key: ['id'] },
  });
  expect(stream.status).toBe(201);
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  if (dir) await removeDir(dir);
});

describe('server process killed with SIGKILL while producers write', () => {
  it('loads every acknowledged record exactly once across five crashes', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
    const random = mulberry32(seed);
    const context = () => `seed ${seed} (rerun with CRASH_SEED=${seed})`;

    /** payload → the batch that acknowledged it; every payload is sent once, so it names one row. */
    const ackedPayloads = new Map<string, string>();
    const ackedIds: string[] = [];
    const ackedBatches: string[] = [];
    const stats: Stats = { acked: 0, connectionErrors: 0, otherStatuses: new Map() };
    let nextId = 0;
    let nextPayload = 0;
    const partial: string[] = [];
    /** What each start had to recover, from its info log (for the summary; timing decides it). */
    const recovery: string[] = [];
    const recoveryNotes = (output: string) => {
      const replayed = /"parts":(\d+)[^\n]*replaying unpublished log entries/.exec(output)?.[1];
      const torn = output.includes('truncating torn log tail');
      return `${replayed ? `replayed ${replayed} parts` : 'nothing to replay'}${torn ? ', torn tail cut' : ''}`;
    };

    const producer = async (round: number, stopped: () => boolean) => {
      for (let b = 0; b < BATCHES_PER_ROUND && !stopped(); b++) {
        const records: { id: string; payload: string }[] = [];
        // About one batch in three re-sends ids acknowledged earlier, so deduped has work to do.
        const resend = ackedIds.length > 0 && random() < 0.35 ? 1 + Math.floor(random() * 15) : 0;
        for (let i = 0; i < BATCH; i++) {
          const id = i < resend ? ackedIds[Math.floor(random() * ackedIds.length)] : `id-${nextId++}`;
          records.push({ id, payload: `r${round}-p${nextPayload++}` });
        }
        try {
          const res = await call(
            'POST',
            `/v1/tenants/${TENANT}/streams/${STREAM}/records`,
            tenantKey,
            records,
          );
          if (res.status === 200) {
            const body = (await res.json()) as { batchId: string; accepted: number };
            if (body.accepted !== BATCH)
              partial.push(`${body.batchId}: ${body.accepted} of ${BATCH} accepted`);
            stats.acked++;
            ackedBatches.push(body.batchId);
            for (const r of records) {
              ackedPayloads.set(r.payload, body.batchId);
              ackedIds.push(r.id);
            }
          } else {
            await res.body?.cancel();
            stats.otherStatuses.set(res.status, (stats.otherStatuses.get(res.status) ?? 0) + 1);
          }
        } catch {
          // Connection reset or refused by the kill: not acknowledged, so nothing is promised.
          stats.connectionErrors++;
        }
        await sleep(random() * 400);
      }
    };

    for (let round = 1; round <= ROUNDS; round++) {
      let stopped = false;
      const producers = Array.from({ length: PRODUCERS }, () => producer(round, () => stopped));
      await sleep(200 + random() * 1300);
      const exit = await server!.stop('SIGKILL');
      recovery.push(recoveryNotes(server!.output()));
      stopped = true;
      await Promise.all(producers);
      expect(exit.signal, context()).toBe('SIGKILL');
      server = await startServer({
        dataDir: dir,
        adminKey: ADMIN_KEY,
        logLevel: 'info',
        env: { TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.3' },
      });
    }
    console.info(
      `crash test ${context()}: ${stats.acked} batches acknowledged (${ackedPayloads.size} records), ` +
        `${stats.connectionErrors} connection errors, other statuses ${JSON.stringify([...stats.otherStatuses])}; ` +
        `starts: ${[...recovery, recoveryNotes(server!.output())].join(' | ')}`,
    );
    expect(stats.acked, context()).toBeGreaterThan(0);
    expect(partial, context()).toEqual([]);

    // Recovery loads in the background: wait until every acknowledged batch reports loaded.
    const states = new Map<string, string>();
    let waiting = [...ackedBatches];
    const deadline = Date.now() + 60_000;
    while (waiting.length > 0 && Date.now() < deadline) {
      const still: string[] = [];
      for (const batchId of waiting) {
        const res = await call(
          'GET',
          `/v1/tenants/${TENANT}/streams/${STREAM}/batches/${batchId}`,
          tenantKey,
        );
        const state =
          res.status === 200 ? ((await res.json()) as { state: string }).state : `http ${res.status}`;
        if (res.status !== 200) await res.body?.cancel();
        states.set(batchId, state);
        if (state !== 'loaded') still.push(batchId);
      }
      waiting = still;
      if (waiting.length > 0) await sleep(250);
    }
    // Batches that were in flight at a kill may also have been logged: let raw settle too.
    let raw = await rows('raw');
    for (let stable = 0; stable < 3 && Date.now() < deadline + 30_000;) {
      await sleep(500);
      const next = await rows('raw');
      stable = next.total === raw.total ? stable + 1 : 0;
      raw = next;
    }
    const deduped = await rows('deduped');

    expect(raw.total, context()).toBe(raw.records.length); // everything fits in one read
    const seenPayload = new Map<string, number>();
    for (const r of raw.records) seenPayload.set(r.payload, (seenPayload.get(r.payload) ?? 0) + 1);
    const loadedTwice = [...seenPayload].filter(([, n]) => n > 1).map(([p]) => p);
    expect(loadedTwice, `records loaded more than once; ${context()}`).toEqual([]);

    const rawBatchOf = new Map(raw.records.map((r) => [r.payload, r._batch_id]));
    const lost = [...ackedPayloads].filter(([p]) => !rawBatchOf.has(p)).map(([p, b]) => `${p} (batch ${b})`);
    expect(lost, `acknowledged records missing from raw; ${context()}`).toEqual([]);
    const wrongBatch = [...ackedPayloads].filter(([p, b]) => rawBatchOf.get(p) !== b);
    expect(wrongBatch, context()).toEqual([]);

    expect(deduped.total, context()).toBe(deduped.records.length);
    const idCount = new Map<string, number>();
    for (const r of deduped.records) idCount.set(r.id, (idCount.get(r.id) ?? 0) + 1);
    expect(
      [...idCount].filter(([, n]) => n !== 1),
      `ids repeated in deduped; ${context()}`,
    ).toEqual([]);
    const missingIds = [...new Set(ackedIds)].filter((id) => !idCount.has(id));
    expect(missingIds, `acknowledged ids missing from deduped; ${context()}`).toEqual([]);

    const notLoaded = [...states].filter(([, s]) => s !== 'loaded');
    expect(notLoaded, `receipts of acknowledged batches not loaded; ${context()}`).toEqual([]);
  }, 170_000);
});
