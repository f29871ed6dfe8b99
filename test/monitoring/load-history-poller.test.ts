import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '../../api/adapters/dynamodb/cursor-store.js';
import { DynamoCatalog, DynamoMetricsStore, ensureTable } from '../../api/adapters/dynamodb/index.js';
import { DynamoReceiptStore } from '../../api/adapters/firehose/dynamo-receipt-store.js';
import { InvalidInputError } from '../../api/domain/errors.js';
import { LoadHistoryPoller } from '../../api/monitoring/load-history-poller.js';
import { MinuteMetrics } from '../../api/monitoring/minute-metrics.js';
import type { ReceiptMarkerLimits } from '../../api/monitoring/receipt-marker.js';
import type { FileBatch, LoadHistoryRow, LoadHistorySource } from '../../api/ports.js';
import { useDynalite } from '../support/dynalite.js';
import { makeStream } from '../support/stream.js';
import { silentLogger } from '../support/logger.js';

const client = useDynalite('poller');

/** A table of its own per test, holding tenant acme and its stream orders. */
async function catalogTable(table: string): Promise<void> {
  if (table !== 'poller') await ensureTable(client(), table);
  const catalog = new DynamoCatalog(client(), table);
  await catalog.createTenant({ name: 'acme', createdAt: '2026-11-26T11:00:00.000Z' });
  const stream = makeStream({
    name: 'orders',
    buffering: { intervalSeconds: 60, sizeMiB: 64 },
    createdAt: '2026-11-26T11:00:00.000Z',
    updatedAt: '2026-11-26T11:00:00.000Z',
  });
  await catalog.createStream(stream, {
    version: 1,
    schema: stream.schema,
    createdAt: stream.createdAt,
    changes: [],
  });
}

beforeAll(() => catalogTable('poller'));

/** COPY_HISTORY as Snowflake would answer it: every load since `since`, inclusive. */
class History implements LoadHistorySource {
  rows: LoadHistoryRow[] = [];
  async loadHistory(_tenant: string, _stream: string, since?: string): Promise<LoadHistoryRow[]> {
    return this.rows.filter((r) => !since || r.loadedAt >= since);
  }
}

const row = (
  file: string,
  loadedAt: string,
  rows: number,
  status = 'Loaded',
  kind: 'raw' | 'quarantine' = 'raw',
): LoadHistoryRow => ({
  kind,
  file,
  loadedAt,
  rows,
  errors: status === 'Loaded' ? 0 : 1,
  status,
});

describe('LoadHistoryPoller (COPY_HISTORY → load counters)', () => {
  it('counts each load once across polls, including loads sharing the cursor timestamp', async () => {
    const history = new History();
    const metrics = new MinuteMetrics(new DynamoMetricsStore(client(), 'poller'), Date.now, 0);
    const poller = new LoadHistoryPoller({
      catalog: new DynamoCatalog(client(), 'poller'),
      source: async () => history,
      metrics,
      cursors: new DynamoCursorStore(client(), 'poller'),
      logger: silentLogger,
    });
    history.rows.push(
      row('raw/a', '2026-11-26T12:00:10.000Z', 100),
      row('raw/b', '2026-11-26T12:00:20.000Z', 50),
    );
    expect(await poller.poll()).toMatchObject({ streams: 1, loads: 2, failures: 0 });
    expect(await poller.poll()).toMatchObject({ loads: 0, failures: 0 });

    // Same timestamp as the cursor, a failed load, and a quarantine load (not a loaded row).
    history.rows.push(
      row('raw/c', '2026-11-26T12:00:20.000Z', 7),
      row('raw/d', '2026-11-26T12:01:05.000Z', 0, 'Load failed'),
      row('quarantine/e', '2026-11-26T12:01:06.000Z', 3, 'Loaded', 'quarantine'),
    );
    expect(await poller.poll()).toMatchObject({ loads: 1, failures: 1 });
    expect(await poller.poll()).toMatchObject({ loads: 0, failures: 0 });

    const minutes = await metrics.series(
      'acme',
      'orders',
      Date.parse('2026-11-26T12:00:00Z'),
      Date.parse('2026-11-26T12:01:59Z'),
    );
    expect(minutes.map((m) => [m.loadedRows, m.loadErrors])).toEqual([
      [157, 0],
      [0, 1],
    ]);
  });
});

describe('LoadHistoryPoller and loads still in progress', () => {
  const setup = async (table: string, rowsPerTick?: number) => {
    await catalogTable(table);
    const history = new History();
    const metrics = new MinuteMetrics(new DynamoMetricsStore(client(), table), Date.now, 0);
    const poller = new LoadHistoryPoller({
      catalog: new DynamoCatalog(client(), table),
      source: async () => history,
      metrics,
      cursors: new DynamoCursorStore(client(), table),
      logger: silentLogger,
      ...(rowsPerTick ? { rowsPerTick } : {}),
    });
    const loadedRows = async () =>
      (
        await metrics.series(
          'acme',
          'orders',
          Date.parse('2026-11-26T12:00:00Z'),
          Date.parse('2026-11-26T12:59:59Z'),
        )
      ).reduce((n, m) => [n[0] + m.loadedRows, n[1] + m.loadErrors], [0, 0]);
    return { history, poller, loadedRows };
  };

  it('counts a load in progress as neither loaded nor failed, and never moves the cursor past it', async () => {
    const { history, poller, loadedRows } = await setup('poller_progress');
    history.rows.push(
      row('raw/a', '2026-11-26T12:00:10.000Z', 10),
      row('raw/b', '2026-11-26T12:00:20.000Z', 0, 'Load in progress'),
      row('raw/c', '2026-11-26T12:00:30.000Z', 5),
    );
    expect(await poller.poll()).toMatchObject({ loads: 1, failures: 0 });
    expect(await poller.poll()).toMatchObject({ loads: 0, failures: 0 });
    expect(await loadedRows()).toEqual([10, 0]);

    // b finishes; COPY_HISTORY now gives its final time, after c's.
    history.rows[1] = row('raw/b', '2026-11-26T12:00:40.000Z', 20);
    expect(await poller.poll()).toMatchObject({ loads: 2, failures: 0 });
    expect(await poller.poll()).toMatchObject({ loads: 0, failures: 0 });
    expect(await loadedRows()).toEqual([35, 0]);
  });

  it('counts at most rowsPerTick loads per stream per tick and picks up the rest on the next', async () => {
    const { history, poller, loadedRows } = await setup('poller_bounded', 2);
    for (let i = 0; i < 5; i++) history.rows.push(row(`raw/${i}`, '2026-11-26T12:00:10.000Z', 1));
    expect(await poller.poll()).toMatchObject({ loads: 2 });
    expect(await poller.poll()).toMatchObject({ loads: 2 });
    expect(await poller.poll()).toMatchObject({ loads: 1 });
    expect(await poller.poll()).toMatchObject({ loads: 0 });
    expect(await loadedRows()).toEqual([5, 0]);
  });
});

describe('LoadHistoryPoller marks AWS receipts loaded', () => {
  /** COPY_HISTORY plus the raw rows each loaded file left, as batchesInFiles reads them. */
  class Lake extends History {
    files = new Map<string, Array<[batch: string, index: number]>>();
    lookups: string[][] = [];
    fail?: Error;
    async batchesInFiles(_tenant: string, _stream: string, files: string[]): Promise<FileBatch[]> {
      this.lookups.push(files);
      if (this.fail) throw this.fail;
      const loaded = new Set(this.rows.filter((r) => r.status === 'Loaded').map((r) => r.file));
      const rowsOf = (batch: string) =>
        new Set(
          [...this.files]
            .filter(([f]) => loaded.has(f))
            .flatMap(([, lines]) => lines.filter(([b]) => b === batch).map(([, i]) => i)),
        ).size;
      return files.flatMap((file) =>
        [...new Set((this.files.get(file) ?? []).map(([b]) => b))].map((batchId) => ({
          file,
          batchId,
          rows: rowsOf(batchId),
        })),
      );
    }
  }

  const setup = async (table: string, receiptLimits?: Partial<ReceiptMarkerLimits>) => {
    await catalogTable(table);
    const lake = new Lake();
    const receipts = new DynamoReceiptStore({
      client: client(),
      tableName: table,
      now: () => new Date('2026-11-26T12:00:00.000Z'),
    });
    const put = (batchId: string, accepted: number) =>
      receipts.put({
        tenant: 'acme',
        stream: 'orders',
        batchId,
        receivedAt: '2026-11-26T11:59:00.000Z',
        deliveredAt: '2026-11-26T11:59:01.000Z',
        accepted,
        rejected: 0,
        recordIds: ['r'],
      });
    const poller = new LoadHistoryPoller({
      catalog: new DynamoCatalog(client(), table),
      source: async () => lake,
      metrics: new MinuteMetrics(new DynamoMetricsStore(client(), table), Date.now, 0),
      cursors: new DynamoCursorStore(client(), table),
      logger: silentLogger,
      receipts,
      now: () => new Date('2026-11-26T12:30:00.000Z'),
      ...(receiptLimits ? { receiptLimits } : {}),
    });
    const loadedAt = async (batchId: string) => (await receipts.get('acme', 'orders', batchId))?.loadedAt;
    return { lake, put, poller, loadedAt };
  };

  it('marks each batch once raw holds all its rows, with the load time of its last file', async () => {
    const { lake, put, poller, loadedAt } = await setup('poller_receipts');
    await Promise.all([put('A', 2), put('B', 3), put('C', 1)]);
    // Firehose split batch B over two objects.
    lake.files.set('raw/f1', [
      ['A', 0],
      ['A', 1],
      ['B', 0],
      ['B', 1],
    ]);
    lake.files.set('raw/f2', [
      ['B', 2],
      ['C', 0],
    ]);
    lake.rows.push(row('raw/f1', '2026-11-26T12:01:00.000Z', 4));
    expect(await poller.poll()).toMatchObject({ loads: 1, receipts: 1 });
    expect([await loadedAt('A'), await loadedAt('B')]).toEqual(['2026-11-26T12:01:00.000Z', undefined]);

    lake.rows.push(row('raw/f2', '2026-11-26T12:02:00.000Z', 2));
    expect(await poller.poll()).toMatchObject({ loads: 1, receipts: 2 });
    expect(await Promise.all(['A', 'B', 'C'].map(loadedAt))).toEqual([
      '2026-11-26T12:01:00.000Z',
      '2026-11-26T12:02:00.000Z',
      '2026-11-26T12:02:00.000Z',
    ]);
    expect(await poller.poll()).toMatchObject({ loads: 0, receipts: 0 });
    expect(lake.lookups).toEqual([['raw/f1'], ['raw/f2']]);
  });

  it('waits for a load in progress, and leaves failed and quarantine loads out of the lookup', async () => {
    const { lake, put, poller, loadedAt } = await setup('poller_receipts_progress');
    await put('D', 1);
    lake.files.set('raw/f3', [['D', 0]]);
    lake.rows.push(
      row('raw/bad', '2026-11-26T12:00:30.000Z', 0, 'Load failed'),
      row('quarantine/q', '2026-11-26T12:00:40.000Z', 3, 'Loaded', 'quarantine'),
      row('raw/f3', '2026-11-26T12:01:00.000Z', 0, 'Load in progress'),
    );
    expect(await poller.poll()).toMatchObject({ receipts: 0 });
    expect(lake.lookups).toEqual([]);
    lake.rows[2] = row('raw/f3', '2026-11-26T12:01:30.000Z', 1);
    expect(await poller.poll()).toMatchObject({ receipts: 1 });
    expect(await loadedAt('D')).toBe('2026-11-26T12:01:30.000Z');
  });

  it('takes no more files once a tick has its fill of receipts; the rest come next tick', async () => {
    const { lake, put, poller } = await setup('poller_receipts_bounded', {
      filesPerQuery: 1,
      marksPerTick: 2,
    });
    for (let i = 0; i < 5; i++) {
      await put(`E${i}`, 1);
      lake.files.set(`raw/e${i}`, [[`E${i}`, 0]]);
      lake.rows.push(row(`raw/e${i}`, `2026-11-26T12:0${i}:00.000Z`, 1));
    }
    expect((await poller.poll()).receipts).toBe(2);
    expect((await poller.poll()).receipts).toBe(2);
    expect((await poller.poll()).receipts).toBe(1);
    expect((await poller.poll()).receipts).toBe(0);
  });

  it('still counts loads when raw cannot map files to batches (a table from before _FILE)', async () => {
    const { lake, poller } = await setup('poller_receipts_unmapped');
    lake.fail = new InvalidInputError('Snowflake error 000904 (42000): invalid identifier \'"_FILE"\'');
    lake.files.set('raw/g', [['G', 0]]);
    lake.rows.push(row('raw/g', '2026-11-26T12:01:00.000Z', 1));
    expect(await poller.poll()).toMatchObject({ loads: 1, failures: 0, receipts: 0 });
    expect(await poller.poll()).toMatchObject({ loads: 0, receipts: 0 });
    expect(lake.lookups).toHaveLength(1);
  });
});
