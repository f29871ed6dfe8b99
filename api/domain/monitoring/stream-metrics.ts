import { requireTenant } from '../auth/authorize.js';
import type { VerbArgs } from '../context.js';
import { COUNTER_FIELDS, emptyCounters } from './counters.js';
import { loadStream } from '../streams/load-stream.js';
import type { DeliveryStatus, MinutePoint } from '../../ports.js';
import type { Stream } from '../streams/types.js';
import { loadState, oldestUnloadedAgeSeconds } from './load-state.js';
import { DEFAULT_MAX_LOAD_DELAY_MINUTES } from './rules.js';

export type Health = 'fresh' | 'stale' | 'failing' | 'idle';

export async function streamMetrics({
  ctx,
  input,
}: VerbArgs<{ tenant: string; stream: string; minutes: number }>) {
  requireTenant(ctx, input.tenant, 'read', input.stream);
  const stream = await loadStream(ctx, input.tenant, input.stream);
  const now = ctx.services.now().getTime();
  const [minutes, status] = await Promise.all([
    ctx.services.metrics.series(input.tenant, input.stream, now - (input.minutes - 1) * 60_000, now),
    ctx.services.delivery.status(input.tenant, input.stream),
  ]);
  // Exact when this process saw the record; otherwise the start of the last minute with any.
  const exact = ctx.services.metrics.lastReceivedAt?.(input.tenant, input.stream);
  const lastActive = [...minutes].reverse().find((m) => m.received > 0);
  const lastMs = exact ?? lastActive?.minute;
  const lastReceivedAt = lastMs !== undefined ? new Date(lastMs).toISOString() : undefined;
  const lagSeconds = oldestUnloadedAgeSeconds(status, now);
  const load = loadState(status, now, ctx.services.loadMonitor);
  return {
    minutes,
    totals: sum(minutes),
    ...(lastReceivedAt ? { lastReceivedAt } : {}),
    ...(status.lastLoadedAt ? { lastLoadedAt: status.lastLoadedAt } : {}),
    lagSeconds,
    oldestUnloadedAgeSeconds: lagSeconds,
    pendingRecords: status.pendingRecords,
    health: health(stream, status, lastReceivedAt, lagSeconds, now),
    loadState: load.state,
    loadStateDetail: load.detail,
    ...(status.lastLoadError ? { lastLoadError: status.lastLoadError } : {}),
    ...(status.loadFailure ? { loadFailure: status.loadFailure } : {}),
  };
}

export function health(
  stream: Stream,
  status: DeliveryStatus,
  lastReceivedAt: string | undefined,
  lagSeconds: number,
  now: number,
): Health {
  const err = status.lastLoadError;
  if (err && (!status.lastLoadedAt || Date.parse(err.at) > Date.parse(status.lastLoadedAt))) return 'failing';
  if (!lastReceivedAt && !status.lastLoadedAt && !status.pendingRecords) return 'idle';
  const maxDelay = (stream.freshness?.maxLoadDelayMinutes ?? DEFAULT_MAX_LOAD_DELAY_MINUTES) * 60;
  if (lagSeconds > maxDelay) return 'stale';
  const silence = stream.freshness?.maxSilenceMinutes;
  const last = lastReceivedAt ?? status.lastLoadedAt;
  if (silence && last && now - Date.parse(last) > silence * 60_000) return 'stale';
  return 'fresh';
}

function sum(points: MinutePoint[]) {
  const t = emptyCounters();
  for (const p of points) for (const k of COUNTER_FIELDS) t[k] += p[k];
  return t;
}
