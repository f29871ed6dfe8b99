import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '../../api/adapters/dynamodb/cursor-store.js';
import { DynamoCatalog, DynamoMetricsStore } from '../../api/adapters/dynamodb/index.js';
import { LoadHistoryPoller } from '../../api/monitoring/load-history-poller.js';
import { MinuteMetrics } from '../../api/monitoring/minute-metrics.js';
import type { LoadHistoryRow, LoadHistorySource } from '../../api/ports.js';
import { useDynalite } from '../support/dynalite.js';
import { makeStream } from '../support/stream.js';
import { silentLogger } from '../support/logger.js';

const client = useDynalite('poller');

beforeAll(async () => {
  const catalog = new DynamoCatalog(client(), 'poller');
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
});

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
