import type { DeliveryStatus, LakeObject, LoadedObject } from '../../ports.js';

/** Records acknowledged and not yet loaded: one per open buffer, publish in flight, or unloaded object. */
export interface Unit {
  minReceivedAt: string;
  records: number;
}

interface StreamState {
  pending: Set<Unit>;
  lastDeliveredAt?: string;
  lastLoadedAt?: string;
  lastLoadError?: { at: string; message: string; object?: string };
}

const streamKey = (tenant: string, stream: string) => `${tenant}\u0000${stream}`;

/**
 * What each stream has acknowledged but not loaded, and what was loaded when: the source of
 * `status`, `backlog` and the load side of receipts. Load times and salvage counts are kept for the
 * most recent `maxRemembered` objects; older ones are asked of the load target.
 */
export class LoadTracker {
  private readonly streams = new Map<string, StreamState>();
  /** Published, not yet loaded objects and the records they hold. */
  private readonly objectUnits = new Map<string, { unit: Unit; streamKey: string; bytes: number }>();
  private readonly loadedAt = new Map<string, string>();
  /** Lines quarantined per batch id by the loader, for objects it salvaged (bounded like loadedAt). */
  private readonly loadFailures = new Map<string, Record<string, number>>();

  constructor(private readonly maxRemembered: number) {}

  /** A new unit of pending records for the stream (an open buffer, later its object). */
  openUnit(tenant: string, stream: string, receivedAt: string): Unit {
    const unit: Unit = { minReceivedAt: receivedAt, records: 0 };
    this.state(tenant, stream).pending.add(unit);
    return unit;
  }

  /** A buffer's unit now waits for the loader in `obj`. */
  published(obj: LakeObject, unit: Unit, at: Date): void {
    this.state(obj.tenant, obj.stream).lastDeliveredAt = at.toISOString();
    this.objectUnits.set(obj.key, { unit, streamKey: streamKey(obj.tenant, obj.stream), bytes: obj.bytes });
  }

  /** Tracks an object found at start-up as pending until it is loaded. */
  track(obj: LakeObject, unit: Unit): void {
    this.state(obj.tenant, obj.stream).pending.add(unit);
    this.objectUnits.set(obj.key, { unit, streamKey: streamKey(obj.tenant, obj.stream), bytes: obj.bytes });
  }

  /** Records the load; returns the bytes it takes off the unloaded backlog (0 for an untracked object). */
  loaded(obj: LakeObject, at: string, result?: LoadedObject): number {
    this.loadedAt.set(obj.key, at);
    if (this.loadedAt.size > this.maxRemembered) this.loadedAt.delete(this.loadedAt.keys().next().value!);
    if (result?.failedBatches && Object.keys(result.failedBatches).length > 0) {
      this.loadFailures.set(obj.key, result.failedBatches);
      if (this.loadFailures.size > this.maxRemembered)
        this.loadFailures.delete(this.loadFailures.keys().next().value!);
    }
    this.state(obj.tenant, obj.stream).lastLoadedAt = at;
    const u = this.objectUnits.get(obj.key);
    if (!u) return 0;
    this.streams.get(u.streamKey)?.pending.delete(u.unit);
    this.objectUnits.delete(obj.key);
    return u.bytes;
  }

  loadError(obj: LakeObject, at: string, message: string): void {
    this.state(obj.tenant, obj.stream).lastLoadError = { at, message, object: obj.key };
  }

  /** Published and waiting for the loader. */
  isPending(key: string): boolean {
    return this.objectUnits.has(key);
  }

  /** When this process saw the object loaded, if it still remembers. */
  loadedTime(key: string): string | undefined {
    return this.loadedAt.get(key);
  }

  /** Lines the loader quarantined per batch id when it salvaged the object, if remembered. */
  salvaged(key: string): Record<string, number> | undefined {
    return this.loadFailures.get(key);
  }

  status(tenant: string, stream: string, loadFailure?: DeliveryStatus['loadFailure']): DeliveryStatus {
    const st = this.streams.get(streamKey(tenant, stream));
    if (!st) return { pendingRecords: 0, ...(loadFailure ? { loadFailure } : {}) };
    let oldest: string | undefined;
    let pendingRecords = 0;
    for (const u of st.pending) {
      pendingRecords += u.records;
      if (oldest === undefined || u.minReceivedAt < oldest) oldest = u.minReceivedAt;
    }
    return {
      oldestUnloadedAt: oldest,
      pendingRecords,
      lastDeliveredAt: st.lastDeliveredAt,
      lastLoadedAt: st.lastLoadedAt,
      lastLoadError: st.lastLoadError,
      ...(loadFailure ? { loadFailure } : {}),
    };
  }

  /** Every stream this process has seen, and whether it has records pending. */
  *streamsSeen(): Generator<{ tenant: string; stream: string; pending: boolean }> {
    for (const [k, st] of this.streams) {
      const [tenant, stream] = k.split('\u0000');
      yield { tenant, stream, pending: st.pending.size > 0 };
    }
  }

  private state(tenant: string, stream: string): StreamState {
    const k = streamKey(tenant, stream);
    let st = this.streams.get(k);
    if (!st) this.streams.set(k, (st = { pending: new Set() }));
    return st;
  }
}
