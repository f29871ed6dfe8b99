import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOAD_MONITOR,
  loadReadiness,
  loadState,
  loadStuck,
  oldestUnloadedAgeSeconds,
} from '../../../api/domain/monitoring/load-state.js';
import type { DeliveryStatus, LoadFailure } from '../../../api/ports.js';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const settings = DEFAULT_LOAD_MONITOR;
const failure = (over: Partial<LoadFailure> = {}): LoadFailure => ({
  since: ago(10),
  attempts: 1,
  kind: 'dependency',
  message: 'IO Error: disk',
  object: 'raw/k.ndjson',
  ...over,
});

describe('load state', () => {
  it('measures the oldest unloaded record, 0 when caught up', () => {
    expect(oldestUnloadedAgeSeconds({ pendingRecords: 0 }, NOW)).toBe(0);
    expect(oldestUnloadedAgeSeconds({ pendingRecords: 1, oldestUnloadedAt: ago(12.34) }, NOW)).toBe(12.3);
  });

  it.each<[string, DeliveryStatus, string]>([
    ['caught up', { pendingRecords: 0 }, 'ok'],
    ['loading normally', { pendingRecords: 5, oldestUnloadedAt: ago(2) }, 'ok'],
    [
      'a data failure waiting to be salvaged',
      { pendingRecords: 5, loadFailure: failure({ kind: 'data' }) },
      'retrying',
    ],
    ['a dependency failure', { pendingRecords: 5, loadFailure: failure() }, 'degraded'],
    ['a resource failure', { pendingRecords: 5, loadFailure: failure({ kind: 'resource' }) }, 'degraded'],
    [
      'five failed attempts',
      { pendingRecords: 5, loadFailure: failure({ kind: 'data', attempts: 5 }) },
      'stuck',
    ],
    ['failing for two minutes', { pendingRecords: 5, loadFailure: failure({ since: ago(120) }) }, 'stuck'],
    ['records older than the limit', { pendingRecords: 5, oldestUnloadedAt: ago(301) }, 'stuck'],
  ])('%s → %s', (_name, status, state) => {
    const result = loadState(status, NOW, settings);
    expect(result.state).toBe(state);
    expect(result.detail.length).toBeGreaterThan(0);
    if (status.loadFailure) expect(result.detail).toContain(status.loadFailure.message);
  });

  it('calls loads stuck only once an object keeps failing', () => {
    expect(loadStuck({ pendingRecords: 1 }, NOW, settings)).toBeUndefined();
    expect(
      loadStuck({ pendingRecords: 1, loadFailure: failure({ attempts: 4 }) }, NOW, settings),
    ).toBeUndefined();
    expect(loadStuck({ pendingRecords: 1, loadFailure: failure({ attempts: 5 }) }, NOW, settings)).toMatch(
      /^Loading raw\/k\.ndjson has failed 5 times since/,
    );
  });
});

describe('loadReadiness', () => {
  it('is ready while every stream loads, and names each stuck or degraded one with a reason', () => {
    expect(
      loadReadiness(
        [{ tenant: 'a', stream: 's', pendingRecords: 3, oldestUnloadedAt: ago(5) }],
        NOW,
        settings,
      ),
    ).toEqual({
      ok: true,
      detail: 'ok',
      streams: [],
    });
    const result = loadReadiness(
      [
        { tenant: 'b', stream: 'late', pendingRecords: 3, oldestUnloadedAt: ago(400) },
        { tenant: 'a', stream: 'down', pendingRecords: 3, oldestUnloadedAt: ago(5), loadFailure: failure() },
        { tenant: 'a', stream: 'fine', pendingRecords: 3, oldestUnloadedAt: ago(5) },
      ],
      NOW,
      { ...settings, maxUnloadedAgeSeconds: 300 },
    );
    expect(result.ok).toBe(false);
    expect(result.streams).toEqual([
      {
        tenant: 'a',
        stream: 'down',
        loadState: 'degraded',
        oldestUnloadedAgeSeconds: 5,
        reason: `dependency error, 1 failed attempt(s) since ${ago(10)}`,
      },
      {
        tenant: 'b',
        stream: 'late',
        loadState: 'stuck',
        oldestUnloadedAgeSeconds: 400,
        reason: 'oldest unloaded record 400 s old (limit 300 s)',
      },
    ]);
    expect(result.detail).toBe(
      `a/down degraded: dependency error, 1 failed attempt(s) since ${ago(10)} | b/late stuck: oldest unloaded record 400 s old (limit 300 s)`,
    );
    // The engine's message (it may name files) is never part of the public answer.
    expect(JSON.stringify(result)).not.toContain('IO Error');
  });

  it('follows the configured limit', () => {
    const backlog = [{ tenant: 'a', stream: 's', pendingRecords: 1, oldestUnloadedAt: ago(61) }];
    expect(loadReadiness(backlog, NOW, { ...settings, maxUnloadedAgeSeconds: 60 }).ok).toBe(false);
    expect(loadReadiness(backlog, NOW, { ...settings, maxUnloadedAgeSeconds: 120 }).ok).toBe(true);
  });
});
