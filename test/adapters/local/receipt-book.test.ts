import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEntry, type LogEntry } from '../../../api/adapters/local/frame.js';
import { LoadTracker } from '../../../api/adapters/local/load-tracker.js';
import { ReceiptBook } from '../../../api/adapters/local/receipt-book.js';
import { FileLoadTarget, makeBatch, silentLogger, tempDir } from './support.js';

describe('ReceiptBook', () => {
  let root: string;
  let book: ReceiptBook;
  let tracker: LoadTracker;

  beforeEach(async () => {
    root = await tempDir();
    tracker = new LoadTracker(100);
    book = new ReceiptBook({
      dir: path.join(root, 'receipts'),
      lakeRoot: path.join(root, 'lake'),
      retentionMs: 3_600_000,
      maxInMemory: 2,
      tracker,
      target: new FileLoadTarget(path.join(root, 'wh')),
      now: Date.now,
      logger: silentLogger,
    });
    await book.init();
  });
  afterEach(async () => {
    await book.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  let lsn = 0;
  const entry = (opts: Parameters<typeof makeBatch>[0] = {}): LogEntry =>
    encodeEntry(++lsn, makeBatch(opts)).entry;

  it('is buffered until every part is published, then delivered until each object is loaded', async () => {
    const e = entry({ n: 2, rejects: 1 });
    book.open(e, 2);
    expect(await book.receipt('acme', 'orders', e.batchId)).toMatchObject({
      state: 'buffered',
      accepted: 2,
      rejected: 1,
      objects: [],
    });
    book.partPublished('acme', 'orders', e.batchId, 'raw-object');
    expect((await book.receipt('acme', 'orders', e.batchId))?.state).toBe('buffered');
    book.partPublished('acme', 'orders', e.batchId, 'quarantine-object');
    const obj = (key: string) => ({
      tenant: 'acme',
      stream: 'orders',
      kind: 'raw' as const,
      key,
      path: key,
      bytes: 1,
      records: 1,
    });
    tracker.track(obj('raw-object'), { minReceivedAt: e.receivedAt, records: 2 });
    tracker.track(obj('quarantine-object'), { minReceivedAt: e.receivedAt, records: 1 });
    expect(await book.receipt('acme', 'orders', e.batchId)).toMatchObject({
      state: 'delivered',
      objects: ['raw-object', 'quarantine-object'],
    });
    tracker.loaded(obj('raw-object'), '2026-01-01T00:00:01.000Z');
    tracker.loaded(obj('quarantine-object'), '2026-01-01T00:00:02.000Z', {
      key: 'quarantine-object',
      rows: 0,
      alreadyLoaded: false,
      failed: 1,
      failedBatches: { [e.batchId]: 1 },
    });
    expect(await book.receipt('acme', 'orders', e.batchId)).toMatchObject({
      state: 'loaded',
      loadedAt: '2026-01-01T00:00:02.000Z',
      loadFailed: 1,
    });
  });

  it('evicts only completed receipts, oldest first, once over maxInMemory', async () => {
    const [done1, pending, done2, done3] = [entry(), entry(), entry(), entry()];
    book.open(done1, 0);
    book.open(pending, 1);
    book.open(done2, 0);
    book.open(done3, 0);
    book.evict();
    // Nothing was indexed, so an evicted receipt is gone; the pending one stays.
    expect(await book.receipt('acme', 'orders', done1.batchId)).toBeUndefined();
    expect(await book.receipt('acme', 'orders', done2.batchId)).toBeUndefined();
    expect((await book.receipt('acme', 'orders', pending.batchId))?.state).toBe('buffered');
    expect((await book.receipt('acme', 'orders', done3.batchId))?.state).toBe('loaded');
  });
});
