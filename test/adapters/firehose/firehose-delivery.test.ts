import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIREHOSE_LIMITS } from '../../../api/adapters/firehose/index.js';
import type { DynamoReceiptStore } from '../../../api/adapters/firehose/index.js';
import {
  DependencyUnavailableError,
  MisconfiguredError,
  PayloadTooLargeError,
} from '../../../api/domain/errors.js';
import { startFirehoseStub } from '../../support/firehose-stub.js';
import type { FirehoseStub, StubCall, StubFault } from '../../support/firehose-stub.js';
import {
  QUARANTINE_STREAM,
  RAW_STREAM,
  linesOf,
  makeBatch,
  makeDelivery,
  receiptStore,
  unreachableDynamo,
  startDynamo,
  stubClient,
} from './harness.js';
import type { Dynamo } from './harness.js';
import { blockOfLines } from '../../../api/domain/records/ndjson-block.js';
import { linesOf as ndjsonLines } from '../../support/ndjson.js';

const TABLE = 'tributary';
/** Small enough that several lines share a record and a batch of a few KiB spans several records. */
const SMALL_RECORDS = { ...FIREHOSE_LIMITS, maxRecordBytes: 2048 };

let dynamo: Dynamo;
let stub: FirehoseStub;
let client: FirehoseClient;
let impatient: FirehoseClient;
let receipts: DynamoReceiptStore;

beforeAll(async () => {
  [dynamo, stub] = await Promise.all([
    startDynamo(TABLE),
    startFirehoseStub({ streams: [RAW_STREAM, QUARANTINE_STREAM] }),
  ]);
  // Generous enough that a busy machine never times out a call by accident.
  client = stubClient(stub.endpoint, 10_000);
  // Short, so a hung call fails fast.
  impatient = stubClient(stub.endpoint, 300);
  receipts = receiptStore(dynamo.client, TABLE);
});

afterEach(() => {
  stub.calls.splice(0);
  stub.clearFaults();
});

afterAll(async () => {
  client.destroy();
  impatient.destroy();
  await Promise.all([stub.close(), dynamo.close()]);
});

/** Index of the first differing line, or -1; keeps failures on megabyte lines readable. */
const firstMismatch = (a: string[], b: string[]): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
};
const callsTo = (streamName: string): StubCall[] => stub.calls.filter((c) => c.streamName === streamName);
const ids = (calls: StubCall[]): string[] =>
  calls.flatMap((c) => c.recordIds.filter((id): id is string => id !== undefined));

describe('FirehoseDelivery.append', () => {
  it('packs a batch into newline-terminated NDJSON records and stores a receipt of their RecordIds', async () => {
    const { delivery, metrics } = makeDelivery({ client, receipts });
    const batch = makeBatch({ records: 1000, rejects: 3 });
    await delivery.append(batch);

    const raw = callsTo(RAW_STREAM);
    expect(raw).toHaveLength(1);
    expect(raw[0].operation).toBe('PutRecordBatch');
    // ~170 KB of small lines: one billed record instead of a thousand.
    expect(raw[0].records).toHaveLength(1);
    expect(raw[0].records[0].at(-1)).toBe(0x0a);
    expect(linesOf(raw[0].records)).toEqual(ndjsonLines(batch.records));

    expect(await delivery.receipt('acme', 'orders', batch.batchId)).toEqual({
      batchId: batch.batchId,
      receivedAt: batch.receivedAt,
      accepted: 1000,
      rejected: 3,
      state: 'delivered',
      objects: [...ids(raw), ...ids(callsTo(QUARANTINE_STREAM))],
    });
    // The load poller marks it once raw holds all 1000 rows; the receipt then reads loaded.
    await receipts.markLoaded('acme', 'orders', batch.batchId, '2026-11-26T12:03:00.000Z', 1000);
    expect(await delivery.receipt('acme', 'orders', batch.batchId)).toMatchObject({
      state: 'loaded',
      loadedAt: '2026-11-26T12:03:00.000Z',
      accepted: 1000,
    });
    const status = await delivery.status('acme', 'orders');
    expect(status.pendingRecords).toBe(0);
    expect(status.lastDeliveredAt).toBe('2026-11-26T12:00:00.000Z');
    expect(await delivery.status('acme', 'other')).toEqual({ pendingRecords: 0, lastDeliveredAt: undefined });
    const bytes = [...raw, ...callsTo(QUARANTINE_STREAM)]
      .flatMap((c) => c.records)
      .reduce((s, r) => s + r.length, 0);
    expect(metrics.adds).toEqual([
      { tenant: 'acme', stream: 'orders', delta: { deliveredObjects: 2, deliveredBytes: bytes } },
    ]);
  });

  it('sends rejects to the quarantine stream only', async () => {
    const { delivery } = makeDelivery({ client, receipts });
    const batch = makeBatch({ records: 0, rejects: 5 });
    await delivery.append(batch);
    expect(callsTo(RAW_STREAM)).toEqual([]);
    const quarantine = callsTo(QUARANTINE_STREAM);
    expect(quarantine).toHaveLength(1);
    expect(linesOf(quarantine[0].records)).toEqual(ndjsonLines(batch.rejects));
    expect(JSON.parse(linesOf(quarantine[0].records)[0])).toMatchObject({
      _tenant: 'acme',
      _stream: 'orders',
      errors: [{ path: '/n' }],
    });
  });

  it('splits a large batch into calls within 4 MiB and records within 1000 KiB, never splitting a line', async () => {
    const { delivery } = makeDelivery({ client, receipts });
    // ~11 MiB of 11 KiB lines: needs at least 11 records and 3 calls.
    const batch = makeBatch({ records: 1000, pad: 11_000 });
    await delivery.append(batch);

    const raw = callsTo(RAW_STREAM);
    expect(raw.length).toBeGreaterThanOrEqual(3);
    for (const call of raw) {
      expect(call.outcome).toBe('ok');
      expect(call.records.length).toBeLessThanOrEqual(500);
      expect(call.records.reduce((s, r) => s + r.length, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
      for (const record of call.records) {
        expect(record.length).toBeLessThanOrEqual(1000 * 1024);
        expect(record.at(-1)).toBe(0x0a);
      }
    }
    // Calls run concurrently, so the stub saw them in any order; the receipt lists RecordIds in batch order.
    const byId = new Map(raw.flatMap((c) => c.records.map((r, i) => [c.recordIds[i], r] as const)));
    const objects = (await delivery.receipt('acme', 'orders', batch.batchId))?.objects ?? [];
    expect(objects).toHaveLength(byId.size);
    const records = objects.map((id) => byId.get(id) ?? Buffer.alloc(0));
    expect(firstMismatch(linesOf(records), ndjsonLines(batch.records))).toBe(-1);
    // Greedy packing: each record is full enough that the next line did not fit.
    for (const r of records.slice(0, -1)) expect(r.length).toBeGreaterThan(1000 * 1024 - 12_000);
  });

  it('splits at 500 records per call', async () => {
    // One line per record, 1,201 records: the call limit, not the byte limit, decides.
    const { delivery } = makeDelivery({
      client,
      receipts,
      limits: { ...FIREHOSE_LIMITS, maxRecordBytes: 400 },
    });
    const batch = makeBatch({ records: 1201, pad: 150 });
    await delivery.append(batch);
    // The calls run concurrently, so the stub may see them in any order: put them back in batch order.
    const expected = ndjsonLines(batch.records);
    const raw = [...callsTo(RAW_STREAM)].sort(
      (a, b) => expected.indexOf(linesOf(a.records)[0]) - expected.indexOf(linesOf(b.records)[0]),
    );
    expect(raw.map((c) => c.records.length)).toEqual([500, 500, 201]);
    expect(firstMismatch(linesOf(raw.flatMap((c) => c.records)), expected)).toBe(-1);
  });

  it('resends only the entries that failed, and keeps receipt ids in batch order', async () => {
    const { delivery, clock } = makeDelivery({ client, receipts, limits: SMALL_RECORDS });
    const batch = makeBatch({ records: 10, pad: 700 });
    stub.fail({ kind: 'entries', fail: (_data, i) => i === 1 || i === 3 });
    await delivery.append(batch);

    const [first, retry, ...rest] = callsTo(RAW_STREAM);
    expect(rest).toEqual([]);
    expect(first.records).toHaveLength(5);
    expect(first.outcome).toBe('partial');
    expect(retry.records).toEqual([first.records[1], first.records[3]]);
    expect(retry.outcome).toBe('ok');
    expect(linesOf(stub.delivered(RAW_STREAM).slice(-5)).sort()).toEqual(
      [...ndjsonLines(batch.records)].sort(),
    );
    // Full jitter with random() = 0.5 on attempt 0: 0.5 × min(1000, 50 × 2^0).
    expect(clock.sleeps).toEqual([25]);

    const receipt = await delivery.receipt('acme', 'orders', batch.batchId);
    expect(receipt?.objects).toEqual([
      first.recordIds[0],
      retry.recordIds[0],
      first.recordIds[2],
      retry.recordIds[1],
      first.recordIds[4],
    ]);
  });

  const transient: Array<[string, StubFault]> = [
    ['503 throttling', { kind: 'throttle' }],
    ['HTTP 500', { kind: 'http500' }],
    ['a hung call (request timeout)', { kind: 'hang' }],
  ];
  it.each(transient)('retries after %s, then succeeds', async (_name, fault) => {
    const { delivery, clock } = makeDelivery({
      client: fault.kind === 'hang' ? impatient : client,
      receipts,
    });
    const batch = makeBatch({ records: 20, rejects: 1 });
    stub.fail(fault, 2);
    await delivery.append(batch);

    // Two calls per round (raw and quarantine), the first two rounds both faulted... in whichever order
    // the calls reached the stub; the third round delivers.
    expect(stub.calls.filter((c) => c.outcome === fault.kind)).toHaveLength(2);
    expect(
      linesOf(
        callsTo(RAW_STREAM)
          .filter((c) => c.outcome === 'ok')
          .flatMap((c) => c.records),
      ),
    ).toEqual(ndjsonLines(batch.records));
    expect(
      linesOf(
        callsTo(QUARANTINE_STREAM)
          .filter((c) => c.outcome === 'ok')
          .flatMap((c) => c.records),
      ),
    ).toEqual(ndjsonLines(batch.rejects));
    expect(clock.sleeps).toHaveLength(1);
    expect((await delivery.receipt('acme', 'orders', batch.batchId))?.objects).toHaveLength(2);
  });

  it('backs off exponentially with full jitter until the budget is spent, then fails with nothing stored', async () => {
    const { delivery, clock, metrics } = makeDelivery({
      client,
      receipts,
      retryBudgetMs: 3_000,
      random: () => 0.99,
    });
    const batch = makeBatch({ records: 5 });
    stub.fail({ kind: 'throttle' }, Infinity);

    const err = await delivery.append(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((err as Error).cause).toMatchObject({ name: 'ServiceUnavailableException' });
    expect((err as Error).message).toMatch(/retry budget/);

    const caps = [50, 100, 200, 400, 800, 1000, 1000];
    expect(clock.sleeps.length).toBeGreaterThan(3);
    clock.sleeps.forEach((ms, attempt) =>
      expect(ms).toBeCloseTo(0.99 * caps[Math.min(attempt, caps.length - 1)], 6),
    );
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(3_000);
    expect(stub.calls).toHaveLength(clock.sleeps.length + 1);

    expect(await delivery.receipt('acme', 'orders', batch.batchId)).toBeUndefined();
    expect(metrics.adds).toEqual([]);
  });

  it('fails when one entry never gets a RecordId, though the others did', async () => {
    const { delivery } = makeDelivery({ client, receipts, retryBudgetMs: 2_000, limits: SMALL_RECORDS });
    const batch = makeBatch({ records: 10, pad: 700 });
    const poison = ndjsonLines(batch.records)[4];
    stub.fail({ kind: 'entries', fail: (data) => data.toString('utf8').includes(poison) }, Infinity);

    const err = await delivery.append(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toMatch(/1 of 5 record/);
    expect((err as Error).cause).toMatchObject({ name: 'FirehoseEntriesFailedError' });
    // Every retry carried only the poisoned record.
    for (const call of callsTo(RAW_STREAM).slice(1)) expect(linesOf(call.records)).toContain(poison);
    for (const call of callsTo(RAW_STREAM).slice(1)) expect(call.records).toHaveLength(1);
    expect(await delivery.receipt('acme', 'orders', batch.batchId)).toBeUndefined();
  });

  it('does not resolve while any record still lacks a RecordId', async () => {
    let sleeping!: () => void;
    const asleep = new Promise<void>((resolve) => (sleeping = resolve));
    let wake!: () => void;
    const { delivery } = makeDelivery({
      client,
      receipts,
      sleep: () => {
        sleeping();
        return new Promise<void>((resolve) => (wake = resolve));
      },
    });
    const batch = makeBatch({ records: 3, rejects: 1 });
    stub.fail({ kind: 'entries', fail: () => true });

    let settled = false;
    const appended = delivery.append(batch).finally(() => (settled = true));
    await asleep;
    // One of the two Firehose records (raw, quarantine) is in, the other is not: still pending, no receipt.
    expect(settled).toBe(false);
    expect(await delivery.receipt('acme', 'orders', batch.batchId)).toBeUndefined();
    wake();
    await appended;
    expect(settled).toBe(true);
    expect(await delivery.receipt('acme', 'orders', batch.batchId)).toMatchObject({ state: 'delivered' });
  });

  it('cuts off a call still running when the budget ends', async () => {
    // The client would wait 10 s for the call; the 250 ms budget ends it first (real time here).
    const { delivery } = makeDelivery({ client, receipts, retryBudgetMs: 250, now: Date.now });
    stub.fail({ kind: 'hang' });
    const err = await delivery.append(makeBatch({ records: 2 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toMatch(/retry budget/);
    expect(stub.calls).toHaveLength(1);
  });

  it('fails fast on errors that retrying cannot fix', async () => {
    const { delivery, clock } = makeDelivery({ client, receipts, rawStreamName: 'no-such-stream' });
    const batch = makeBatch({ records: 2 });
    const err = await delivery.append(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(clock.sleeps).toEqual([]);
    expect(stub.calls).toHaveLength(1);
    expect(await delivery.receipt('acme', 'orders', batch.batchId)).toBeUndefined();
  });

  it('refuses a line too large for one Firehose record before sending anything', async () => {
    const { delivery } = makeDelivery({ client, receipts });
    const batch = makeBatch({ records: 2 });
    const oversized = blockOfLines([JSON.stringify({ blob: 'x'.repeat(1000 * 1024) })]);
    batch.rejects = Buffer.concat([batch.rejects, oversized]);
    batch.rejectCount++;
    const err = await delivery.append(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as PayloadTooLargeError).limit).toBe('maxRecordBytes');
    expect(stub.calls).toEqual([]);
  });

  it('reports a receipt-store outage as DependencyUnavailableError', async () => {
    const down = unreachableDynamo();
    try {
      const { delivery } = makeDelivery({ client, receipts: receiptStore(down, TABLE) });
      const err = await delivery.append(makeBatch({ records: 1 })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DependencyUnavailableError);
    } finally {
      down.destroy();
    }
  });

  it('reports a missing receipt table as MisconfiguredError', async () => {
    const { delivery } = makeDelivery({ client, receipts: receiptStore(dynamo.client, 'no-such-table') });
    const err = await delivery.append(makeBatch({ records: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MisconfiguredError);
  });

  it('stores a receipt with no objects for an empty batch, without calling Firehose', async () => {
    const { delivery } = makeDelivery({ client, receipts });
    const batch = makeBatch({ records: 0 });
    await delivery.append(batch);
    expect(stub.calls).toEqual([]);
    expect(await delivery.receipt('acme', 'orders', batch.batchId)).toMatchObject({
      state: 'delivered',
      objects: [],
      accepted: 0,
    });
  });
});

describe('FirehoseDelivery lifecycle', () => {
  it('is never under pressure, drains in-flight appends, and refuses appends once closed', async () => {
    const { delivery } = makeDelivery({ client, receipts });
    expect(delivery.pressure().ok).toBe(true);
    const pending = delivery.append(makeBatch({ records: 3 }));
    await delivery.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(delivery.append(makeBatch({ records: 1 }))).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});
