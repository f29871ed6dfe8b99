import type { DeliveryStatus, LoadFailureKind } from '../../ports.js';

/**
 * How a stream's loading is doing: `ok`; `retrying` (an object failed and is retried); `degraded` (a
 * dependency such as the disk, the database file or memory is failing: retried, nothing is set
 * aside); `stuck` (an object keeps failing, or acknowledged records wait longer than the limit).
 */
export type LoadState = 'ok' | 'retrying' | 'degraded' | 'stuck';

/** Settings, parsed from the environment by the composition root. */
export interface LoadMonitorSettings {
  /** A stream whose oldest unloaded record is older than this is stuck, and /ready answers 503. */
  maxUnloadedAgeSeconds: number;
  /** An object that failed this many consecutive attempts... */
  stuckAttempts: number;
  /** ...or has failed for this long makes the stream stuck and fires `load_stuck`. */
  stuckSeconds: number;
}

export const DEFAULT_LOAD_MONITOR: LoadMonitorSettings = {
  maxUnloadedAgeSeconds: 300,
  stuckAttempts: 5,
  stuckSeconds: 120,
};

const KIND_TEXT: Record<LoadFailureKind, string> = {
  data: 'the warehouse refused the data',
  resource: 'the warehouse ran out of memory or another resource',
  dependency: 'the warehouse or the disk is unavailable',
};

/** Age in seconds (one decimal) of the oldest acknowledged record not yet loaded; 0 when caught up. */
export function oldestUnloadedAgeSeconds(status: DeliveryStatus, nowMs: number): number {
  if (!status.oldestUnloadedAt) return 0;
  return Math.round(Math.max(0, (nowMs - Date.parse(status.oldestUnloadedAt)) / 1000) * 10) / 10;
}

/** Why the stream's loads count as stuck (an object failing too long), or undefined. Drives `load_stuck`. */
export function loadStuck(status: DeliveryStatus, nowMs: number, s: LoadMonitorSettings): string | undefined {
  const f = status.loadFailure;
  if (!f) return undefined;
  const failingFor = Math.max(0, (nowMs - Date.parse(f.since)) / 1000);
  if (f.attempts < s.stuckAttempts && failingFor < s.stuckSeconds) return undefined;
  return `Loading ${f.object} has failed ${f.attempts} times since ${f.since} (${KIND_TEXT[f.kind]}): ${f.message}`;
}

export function loadState(
  status: DeliveryStatus,
  nowMs: number,
  s: LoadMonitorSettings,
): { state: LoadState; detail: string } {
  const age = oldestUnloadedAgeSeconds(status, nowMs);
  const f = status.loadFailure;
  const failing = f ? `; ${f.object} failed ${f.attempts} time(s) since ${f.since}: ${f.message}` : '';
  if (age > s.maxUnloadedAgeSeconds) {
    return {
      state: 'stuck',
      detail: `The oldest unloaded record is ${Math.round(age)} s old (limit ${s.maxUnloadedAgeSeconds} s)${failing}`,
    };
  }
  const stuck = loadStuck(status, nowMs, s);
  if (stuck) return { state: 'stuck', detail: stuck };
  if (f && f.kind !== 'data') {
    return { state: 'degraded', detail: `Retrying with backoff: ${KIND_TEXT[f.kind]}${failing}` };
  }
  if (f) return { state: 'retrying', detail: `Retrying${failing}` };
  return {
    state: 'ok',
    detail: age > 0 ? `Loading; the oldest unloaded record is ${Math.round(age)} s old` : 'Caught up',
  };
}

export interface StreamLoad {
  tenant: string;
  stream: string;
  loadState: LoadState;
  oldestUnloadedAgeSeconds: number;
  /** Public (on /ready): names the reason, never the engine's message or a path. */
  reason: string;
}

/**
 * /ready's loading check: not ready while any stream is stuck or degraded. Each is named with a short
 * reason; the engine's messages stay in the logs and the stream's metrics, which need a key.
 */
export function loadReadiness(
  backlog: Array<{ tenant: string; stream: string } & DeliveryStatus>,
  nowMs: number,
  s: LoadMonitorSettings,
): { ok: boolean; detail: string; streams: StreamLoad[] } {
  const streams: StreamLoad[] = [];
  for (const b of backlog) {
    const { state } = loadState(b, nowMs, s);
    if (state !== 'stuck' && state !== 'degraded') continue;
    const age = oldestUnloadedAgeSeconds(b, nowMs);
    const reasons: string[] = [];
    if (age > s.maxUnloadedAgeSeconds)
      reasons.push(`oldest unloaded record ${Math.round(age)} s old (limit ${s.maxUnloadedAgeSeconds} s)`);
    if (b.loadFailure)
      reasons.push(
        `${b.loadFailure.kind} error, ${b.loadFailure.attempts} failed attempt(s) since ${b.loadFailure.since}`,
      );
    streams.push({
      tenant: b.tenant,
      stream: b.stream,
      loadState: state,
      oldestUnloadedAgeSeconds: age,
      reason: reasons.join('; '),
    });
  }
  streams.sort((a, b) => `${a.tenant}/${a.stream}`.localeCompare(`${b.tenant}/${b.stream}`));
  const detail =
    streams.length === 0
      ? 'ok'
      : streams.map((x) => `${x.tenant}/${x.stream} ${x.loadState}: ${x.reason}`).join(' | ');
  return { ok: streams.length === 0, detail, streams };
}
