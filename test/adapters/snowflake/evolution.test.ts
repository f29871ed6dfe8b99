import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SnowflakeWarehouse, connectSnowflake } from '../../../api/adapters/snowflake/index.js';
import { DependencyUnavailableError, InvalidInputError } from '../../../api/domain/errors.js';
import { silentLogger } from '../../support/logger.js';
import { SnowflakeStub } from '../../support/snowflake-stub.js';
import { SnowpipeModel } from '../../support/snowpipe-model.js';
import { config, evolved, expectGolden, ordersStream, renderStatements } from './fixtures.js';

/**
 * Evolving a stream whose raw pipe must be replaced, through the real driver against the stub playing
 * the stage, the pipe and its history (SnowpipeModel).
 */
const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const P = 'raw/tenant=acme/stream=orders/';
const file = (hour: string, name: string) => `${P}dt=2026-11-27/hour=${hour}/orders-1-${name}`;
const line = (batch: string, index: number) =>
  JSON.stringify({ _batch_id: batch, _index: index, record: {} });

/** The evolution happens at 09:30 (evolved() sets updatedAt): the catch-up window is 08:00 onwards. */
const from = ordersStream();
const to = evolved(from, (s) => {
  s.properties.coupon = { type: 'string' };
});

describe('replacing the raw pipe when columns change', () => {
  let stub: SnowflakeStub;
  let clock: number;
  let sleeps: number[];
  let model: SnowpipeModel;
  let warehouse: SnowflakeWarehouse;

  beforeAll(async () => {
    stub = await SnowflakeStub.start();
  });
  afterAll(async () => {
    await stub.close();
  });
  const open = (drain = { pollMs: 1000, maxWaitMs: 15_000 }) => {
    clock = Date.parse('2026-11-27T09:30:00.000Z');
    sleeps = [];
    model = new SnowpipeModel({
      bucket: config.bucket,
      now: () => new Date(clock).toISOString(),
      rawPipePath: P,
    });
    model.install(stub);
    warehouse = new SnowflakeWarehouse({
      config,
      logger: silentLogger,
      now: () => new Date(clock),
      // No timer: each wait moves the clock the drain measures.
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      drain,
      connect: () => connectSnowflake({ account: 'acct', username: 'svc', privateKey, accessUrl: stub.url }),
    });
  };
  afterEach(async () => {
    await warehouse?.close();
    stub.reset();
  });

  it('pauses, waits for PAUSED with no pending file, and refreshes exactly the files the old pipe missed', async () => {
    open();
    const handled = file('08', '2026-11-27-08-40-00-a');
    const inRawOnly = file('09', '2026-11-27-09-05-00-b');
    const failed = file('09', '2026-11-27-09-20-00-d');
    const whilePaused = file('09', '2026-11-27-09-29-58-c');
    const beforeWindow = file('06', '2026-11-27-06-10-00-e');
    model.put(handled, [line('B1', 0)], '2026-11-27T08:40:30.000Z');
    model.put(inRawOnly, [line('B2', 0)], '2026-11-27T09:05:30.000Z');
    model.put(failed, [line('B3', 0)], '2026-11-27T09:20:30.000Z');
    model.put(whilePaused, [line('B4', 0)], '2026-11-27T09:29:59.000Z');
    model.put(beforeWindow, [line('B0', 0)], '2026-11-27T06:10:30.000Z');
    model.put('quarantine/tenant=acme/stream=orders/dt=2026-11-27/hour=09/q', [line('B4', 1)]);
    model.load(handled, '2026-11-27T08:41:00.000Z');
    // Loaded by an earlier pipe, whose history went with it: only raw's _FILE remembers it.
    model.load(inRawOnly, '2026-11-27T09:06:00.000Z', 'Loaded', -1);
    model.load(failed, '2026-11-27T09:21:00.000Z', 'Load failed');
    model.pipeStatuses(
      { executionState: 'RUNNING', pendingFileCount: 2 },
      { executionState: 'PAUSED', pendingFileCount: 1 },
      { executionState: 'PAUSED', pendingFileCount: 0 },
    );

    await warehouse.evolveStream(from, to);

    expect(model.refreshes).toEqual([
      'dt=2026-11-27/hour=09/orders-1-2026-11-27-09-20-00-d',
      'dt=2026-11-27/hour=09/orders-1-2026-11-27-09-29-58-c',
    ]);
    const loadsOf = (f: string) => model.loads.filter((l) => l.file === f && l.status === 'Loaded').length;
    expect([handled, inRawOnly, failed, whilePaused].map(loadsOf)).toEqual([1, 1, 1, 1]);
    expect(sleeps).toEqual([1000, 1000]);
    await expectGolden('evolve-add-optional.run', stub.statements);
    // Nothing is loaded by hand: every load goes through a pipe.
    expect(stub.statements.filter((s) => /^\s*COPY INTO/i.test(s))).toEqual([]);
  });

  it('does not refresh a missed file the new pipe has loaded already (raw holds it)', async () => {
    open();
    const missed = file('09', '2026-11-27-09-29-58-c');
    model.put(missed, [line('B4', 0)], '2026-11-27T09:29:59.000Z');
    model.pipeStatuses({ executionState: 'PAUSED', pendingFileCount: 0 });
    // Its notification reaches the new pipe right after the replacement.
    stub.on(
      /^GRANT MONITOR ON PIPE/,
      () => {
        model.load(missed);
        return { columns: [{ name: 'status', type: 'text' }], rows: [['ok']] };
      },
      1,
    );
    await warehouse.evolveStream(from, to);
    expect(model.refreshes).toEqual([]);
    expect(model.loads.filter((l) => l.file === missed)).toHaveLength(1);
  });

  it('gives up after the drain bound: resumes the old pipe, changes nothing, answers 503', async () => {
    open({ pollMs: 1000, maxWaitMs: 3000 });
    model.pipeStatuses({ executionState: 'PAUSED', pendingFileCount: 3 });
    const err = await warehouse.evolveStream(from, to).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toContain('pendingFileCount 3');
    expect(sleeps).toEqual([1000, 1000, 1000]);
    expect(stub.statements.filter((s) => s.includes('SYSTEM$PIPE_STATUS'))).toHaveLength(4);
    expect(stub.statements.at(-1)).toBe(
      'ALTER PIPE "TRIBUTARY"."ACME"."ORDERS_RAW_PIPE" SET PIPE_EXECUTION_PAUSED = FALSE',
    );
    expect(stub.statements.some((s) => s.startsWith('ALTER TABLE') || s.startsWith('CREATE'))).toBe(false);
    expect(model.pipe).toBe(0);
  });

  it('resumes the old pipe when a statement fails before the replacement', async () => {
    open();
    model.pipeStatuses({ executionState: 'PAUSED', pendingFileCount: 0 });
    stub.on(/ADD COLUMN IF NOT EXISTS "COUPON"/, {
      code: '003001',
      message: 'SQL access control error: Insufficient privileges to operate on table',
      sqlState: '42000',
    });
    const err = await warehouse.evolveStream(from, to).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(stub.statements.slice(-2)).toEqual([
      'ALTER TABLE "TRIBUTARY"."ACME"."ORDERS_RAW" ADD COLUMN IF NOT EXISTS "COUPON" VARCHAR',
      'ALTER PIPE "TRIBUTARY"."ACME"."ORDERS_RAW_PIPE" SET PIPE_EXECUTION_PAUSED = FALSE',
    ]);
    expect(model.pipe).toBe(0);
  });

  it('shows the whole procedure in a dry run, with what it does with the answers', async () => {
    open();
    const plan = renderStatements(await warehouse.planEvolution(from, to));
    expect(plan).toContain('-- repeated until executionState is PAUSED and pendingFileCount is 0');
    expect(plan).toContain(
      `LIST '@"TRIBUTARY"."ACME"."_LAKE"/raw/tenant=acme/stream=orders/dt=2026-11-27/hour=08/'`,
    );
    expect(plan).not.toContain('MODIFIED_AFTER');
  });
});
