import { describe, expect, it } from 'vitest';
import { LoadTracker } from '../../../api/adapters/local/load-tracker.js';
import type { LakeObject, LoadFailure } from '../../../api/ports.js';

const object = (key: string, stream = 'orders', bytes = 100): LakeObject => ({
  tenant: 'acme',
  stream,
  kind: 'raw',
  key,
  path: `/lake/${key}`,
  bytes,
  records: 1,
});

describe('LoadTracker', () => {
  it('reports nothing pending for a stream it has not seen', () => {
    const t = new LoadTracker(10);
    expect(t.status('acme', 'orders')).toEqual({ pendingRecords: 0 });
    expect([...t.streamsSeen()]).toEqual([]);
  });

  it('follows a unit from buffer to object to load', () => {
    const t = new LoadTracker(10);
    const unit = t.openUnit('acme', 'orders', '2026-01-01T00:00:02.000Z');
    unit.records = 3;
    const older = t.openUnit('acme', 'orders', '2026-01-01T00:00:01.000Z');
    older.records = 2;
    expect(t.status('acme', 'orders')).toMatchObject({
      pendingRecords: 5,
      oldestUnloadedAt: '2026-01-01T00:00:01.000Z',
    });

    const obj = object('a', 'orders', 123);
    t.published(obj, unit, new Date('2026-01-01T00:00:03.000Z'));
    expect(t.isPending('a')).toBe(true);
    expect(t.status('acme', 'orders').lastDeliveredAt).toBe('2026-01-01T00:00:03.000Z');

    expect(t.loaded(obj, '2026-01-01T00:00:04.000Z')).toBe(123);
    expect(t.isPending('a')).toBe(false);
    expect(t.loadedTime('a')).toBe('2026-01-01T00:00:04.000Z');
    expect(t.status('acme', 'orders')).toMatchObject({
      pendingRecords: 2,
      lastLoadedAt: '2026-01-01T00:00:04.000Z',
    });
    expect([...t.streamsSeen()]).toEqual([{ tenant: 'acme', stream: 'orders', pending: true }]);
  });

  it('takes nothing off the backlog for an object it was not tracking', () => {
    const t = new LoadTracker(10);
    expect(t.loaded(object('x'), '2026-01-01T00:00:00.000Z')).toBe(0);
    expect(t.loadedTime('x')).toBe('2026-01-01T00:00:00.000Z');
  });

  it('tracks objects found at start-up until loaded', () => {
    const t = new LoadTracker(10);
    const obj = object('found', 'clicks', 50);
    t.track(obj, { minReceivedAt: '2026-01-01T00:00:00.000Z', records: 4 });
    expect(t.status('acme', 'clicks')).toMatchObject({ pendingRecords: 4 });
    expect(t.loaded(obj, '2026-01-01T00:01:00.000Z')).toBe(50);
    expect(t.status('acme', 'clicks')).toMatchObject({ pendingRecords: 0 });
    expect([...t.streamsSeen()]).toEqual([{ tenant: 'acme', stream: 'clicks', pending: false }]);
  });

  it('remembers the last load error and passes on a loader failure', () => {
    const t = new LoadTracker(10);
    t.loadError(object('bad'), '2026-01-01T00:00:00.000Z', 'warehouse unavailable');
    const failure: LoadFailure = {
      since: '2026-01-01T00:00:00.000Z',
      attempts: 3,
      kind: 'dependency',
      message: 'warehouse unavailable',
      object: 'bad',
    };
    expect(t.status('acme', 'orders', failure)).toMatchObject({
      lastLoadError: { at: '2026-01-01T00:00:00.000Z', message: 'warehouse unavailable', object: 'bad' },
      loadFailure: failure,
    });
  });

  it('remembers load times and salvage counts for the most recent objects only', () => {
    const t = new LoadTracker(2);
    for (const k of ['a', 'b', 'c'])
      t.loaded(object(k), `2026-01-01T00:00:0${k.charCodeAt(0) - 97}.000Z`, {
        key: k,
        rows: 0,
        alreadyLoaded: false,
        failed: 1,
        failedBatches: { [`batch-${k}`]: 1 },
      });
    expect(t.loadedTime('a')).toBeUndefined();
    expect(t.salvaged('a')).toBeUndefined();
    expect(t.loadedTime('c')).toBe('2026-01-01T00:00:02.000Z');
    expect(t.salvaged('c')).toEqual({ 'batch-c': 1 });
  });
});
