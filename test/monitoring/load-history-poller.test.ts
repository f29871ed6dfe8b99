import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '../../api/adapters/dynamodb/cursor-store.js';
import { DynamoCatalog, DynamoMetricsStore, ensureTable } from '../../api/adapters/dynamodb/index.js';
import { LoadHistoryPoller } from '../../api/monitoring/load-history-poller.js';
import { MinuteMetrics } from '../../api/monitoring/minute-metrics.js';
import type { LoadHistoryRow, LoadHistorySource } from '../../api/ports.js';
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
      ).reduce((n, m) => [n[0]! + m.loadedRows, n[1]! + m.loadErrors], [0, 0]);
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
