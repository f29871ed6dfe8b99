import { describe, expect, it } from 'vitest';
import { DynamoAlertStore } from '../../api/adapters/dynamodb/alert-store.js';
import { DynamoCatalog, DynamoMetricsStore, ensureTable } from '../../api/adapters/dynamodb/index.js';
import type { Stream } from '../../api/domain/streams/types.js';
import type { Alert, AlertRule } from '../../api/domain/monitoring/types.js';
import { AlertEvaluator } from '../../api/monitoring/evaluator.js';
import type { AlertNotifier, NotifyOutcome } from '../../api/ports.js';
import { MinuteMetrics } from '../../api/monitoring/minute-metrics.js';
import type { DeliveryStatus } from '../../api/ports.js';
import { useDynalite } from '../support/dynalite.js';
import { makeStream } from '../support/stream.js';
import { silentLogger } from '../support/logger.js';

const MIN = 60_000;
const T0 = Date.parse('2026-05-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const client = useDynalite();
let tables = 0;

class RecordingNotifier implements AlertNotifier {
  calls: { tenant: string; id: string; state: Alert['state'] }[] = [];
  outcome: NotifyOutcome = 'sent';
  async notify(tenant: string, alert: Alert): Promise<NotifyOutcome> {
    this.calls.push({ tenant, id: alert.id, state: alert.state });
    return this.outcome;
  }
}

/** Real catalog, minute metrics and alert store on a fresh dynalite table; delivery status is set by the test. */
async function setup(rules?: AlertRule[]) {
  const table = `ev${++tables}`;
  await ensureTable(client(), table);
  const catalog = new DynamoCatalog(client(), table);
  const h = {
    clock: T0,
    catalog,
    statuses: new Map<string, DeliveryStatus>(),
    broken: new Set<string>(),
    notifier: new RecordingNotifier(),
    alerts: new DynamoAlertStore(client(), table),
    metrics: undefined as unknown as MinuteMetrics,
    evaluator: undefined as unknown as AlertEvaluator,
    async stream(tenant: string, name: string, over: Partial<Stream> = {}): Promise<Stream> {
      if (!(await catalog.getTenant(tenant)))
        await catalog.createTenant({ name: tenant, createdAt: iso(T0) });
      const s = makeStream({
        tenant,
        name,
        buffering: { intervalSeconds: 60, sizeMiB: 5 },
        createdAt: iso(T0),
        updatedAt: iso(T0),
        ...over,
      });
      await catalog.createStream(s, { version: 1, schema: s.schema, createdAt: s.createdAt, changes: [] });
      return s;
    },
    async list(tenant: string) {
      return h.alerts.list(tenant);
    },
    async evaluate(at: number) {
      h.clock = at;
      const out = await h.evaluator.evaluate();
      await h.evaluator.idle();
      return {
        fired: out.fired.map((a) => `${a.stream}:${a.rule}`),
        resolved: out.resolved.map((a) => `${a.stream}:${a.rule}`),
        out,
      };
    },
  };
  h.metrics = new MinuteMetrics(new DynamoMetricsStore(client(), table), () => h.clock, 0);
  h.evaluator = new AlertEvaluator({
    catalog,
    delivery: {
      status: async (tenant, stream) => {
        if (h.broken.has(stream)) throw new Error('status unavailable');
        return h.statuses.get(`${tenant}/${stream}`) ?? { pendingRecords: 0 };
      },
    },
    metrics: h.metrics,
    alerts: h.alerts,
    notifier: h.notifier,
    now: () => new Date(h.clock),
    logger: silentLogger,
    ...(rules ? { rules } : {}),
  });
  return h;
}

describe('AlertEvaluator', () => {
  it('fires silence after maxSilenceMinutes without records (from creation when nothing ever came) and resolves on the next record', async () => {
    const h = await setup();
    await h.stream('acme', 'orders', { freshness: { maxSilenceMinutes: 10 } });
    await h.stream('acme', 'quiet', { freshness: { maxSilenceMinutes: 10 } });
    await h.stream('acme', 'young', { freshness: { maxSilenceMinutes: 10 }, createdAt: iso(T0 + 8 * MIN) });
    await h.stream('acme', 'unwatched');

    h.metrics.add('acme', 'orders', { received: 3, accepted: 3 }, T0 + MIN);
    await h.metrics.flush(); // read back from the store, not just memory
    expect((await h.evaluate(T0 + 5 * MIN)).fired).toEqual([]);

    const at11 = await h.evaluate(T0 + 11 * MIN);
    expect(at11.fired).toEqual(['quiet:silence']);
    expect(at11.out.fired[0].message).toBe('No records received in the last 10 minutes (limit 10 minutes).');

    const at12 = await h.evaluate(T0 + 12 * MIN + 1000);
    expect(at12.fired).toEqual(['orders:silence']);
    expect(at12.out.fired[0].message).toContain('since 2026-05-01T00:01:00.000Z');
    expect(at12.out.fired[0].id).toBe(`orders.silence.${T0 + 12 * MIN + 1000}`);

    // Idempotent: nothing new while the condition holds.
    expect(await h.evaluate(T0 + 13 * MIN)).toMatchObject({ fired: [], resolved: [] });
    expect(h.notifier.calls.map((c) => `${c.id.split('.')[0]}:${c.state}`).sort()).toEqual([
      'orders:firing',
      'quiet:firing',
    ]);
    expect((await h.list('acme')).every((a) => a.lastNotifiedState === 'firing')).toBe(true);

    h.metrics.add('acme', 'orders', { received: 1, accepted: 1 }, T0 + 14 * MIN);
    const at14 = await h.evaluate(T0 + 14 * MIN);
    expect(at14).toMatchObject({ fired: [], resolved: ['orders:silence'] });
    expect(h.notifier.calls.at(-1)).toMatchObject({ tenant: 'acme', state: 'resolved' });
    const orders = (await h.list('acme')).find((a) => a.stream === 'orders')!;
    expect(orders).toMatchObject({
      state: 'resolved',
      resolvedAt: iso(T0 + 14 * MIN),
      lastNotifiedState: 'resolved',
    });
    // 'young' was created 8 minutes in: silent for only 6 minutes at 14.
    expect((await h.list('acme')).map((a) => a.stream).sort()).toEqual(['orders', 'quiet']);
  });

  it('fires load_delay past maxLoadDelayMinutes (default 5) and load_errors newer than the last load; resolves both', async () => {
    const h = await setup();
    await h.stream('acme', 'slow');
    await h.stream('acme', 'patient', { freshness: { maxSilenceMinutes: 1000, maxLoadDelayMinutes: 30 } });
    const now = T0 + 60 * MIN;
    h.statuses.set('acme/slow', { oldestUnloadedAt: iso(now - 6 * MIN), pendingRecords: 4 });
    h.statuses.set('acme/patient', { oldestUnloadedAt: iso(now - 6 * MIN), pendingRecords: 4 });
    const first = await h.evaluate(now);
    expect(first.fired).toEqual(['slow:load_delay']);
    expect(first.out.fired[0].message).toBe(
      `Records acknowledged at ${iso(now - 6 * MIN)} are not loaded after 5 minutes (4 pending).`,
    );

    h.statuses.set('acme/slow', {
      pendingRecords: 0,
      lastLoadedAt: iso(now - 10 * MIN),
      lastLoadError: { at: iso(now - MIN), message: 'disk full' },
    });
    const second = await h.evaluate(now + MIN);
    expect(second).toMatchObject({ fired: ['slow:load_errors'], resolved: ['slow:load_delay'] });
    expect(second.out.fired[0].message).toBe(`Loading fails since ${iso(now - MIN)}: disk full`);

    h.statuses.set('acme/slow', {
      pendingRecords: 0,
      lastLoadedAt: iso(now + 90_000),
      lastLoadError: { at: iso(now - MIN), message: 'disk full' },
    });
    expect(await h.evaluate(now + 2 * MIN)).toMatchObject({ fired: [], resolved: ['slow:load_errors'] });
  });

  it('fires load_stuck once an object keeps failing (5 attempts or 2 minutes) and resolves when it loads', async () => {
    const h = await setup(['load_stuck']);
    await h.stream('acme', 'wedged');
    const now = T0 + 60 * MIN;
    const failure = (attempts: number, sinceMs: number) => ({
      since: iso(sinceMs),
      attempts,
      kind: 'dependency' as const,
      message: 'IO Error: not a valid DuckDB database file',
      object: 'raw/tenant=acme/stream=wedged/x.ndjson',
    });
    h.statuses.set('acme/wedged', { pendingRecords: 3, loadFailure: failure(2, now - 30_000) });
    expect(await h.evaluate(now)).toMatchObject({ fired: [], resolved: [] });

    h.statuses.set('acme/wedged', { pendingRecords: 3, loadFailure: failure(5, now - 30_000) });
    const fired = await h.evaluate(now + 1000);
    expect(fired.fired).toEqual(['wedged:load_stuck']);
    expect(fired.out.fired[0].message).toBe(
      `Loading raw/tenant=acme/stream=wedged/x.ndjson has failed 5 times since ${iso(now - 30_000)} (the warehouse or the disk is unavailable): IO Error: not a valid DuckDB database file`,
    );
    expect(h.notifier.calls).toEqual([{ tenant: 'acme', id: fired.out.fired[0].id, state: 'firing' }]);

    // Still failing: the open episode stays open, nothing fires twice.
    h.statuses.set('acme/wedged', { pendingRecords: 3, loadFailure: failure(6, now - 30_000) });
    expect(await h.evaluate(now + 2000)).toMatchObject({ fired: [], resolved: [] });

    h.statuses.set('acme/wedged', { pendingRecords: 0, lastLoadedAt: iso(now + 2500) });
    expect(await h.evaluate(now + 3000)).toMatchObject({ fired: [], resolved: ['wedged:load_stuck'] });
    expect(h.notifier.calls.map((c) => c.state)).toEqual(['firing', 'resolved']);

    // Few attempts, but failing for longer than two minutes, is stuck too.
    h.statuses.set('acme/wedged', { pendingRecords: 3, loadFailure: failure(2, now - 3 * MIN) });
    expect((await h.evaluate(now + 4000)).fired).toEqual(['wedged:load_stuck']);
  });

  it('reconciles accepted against loaded per hour, only once the hour and the delivery window have passed', async () => {
    const h = await setup(['reconciliation']);
    await h.stream('acme', 'lossy'); // buffering 60 s: window 6 minutes
    await h.stream('acme', 'edge');
    // Rejected records go to quarantine, which loadedRows does not count.
    h.metrics.add('acme', 'lossy', { received: 14, accepted: 12, rejected: 2 }, T0 + 10 * MIN);
    h.metrics.add('acme', 'lossy', { loadedRows: 10 }, T0 + 11 * MIN);
    // Acknowledged in one hour, loaded in the next: not a mismatch.
    h.metrics.add('acme', 'edge', { received: 5, accepted: 5 }, T0 + 59 * MIN);
    h.metrics.add('acme', 'edge', { loadedRows: 5 }, T0 + 61 * MIN);

    // 00:00–01:00 plus the 6-minute window plus a minute's slack ends at 01:07.
    expect((await h.evaluate(T0 + 66 * MIN)).fired).toEqual([]);
    const due = await h.evaluate(T0 + 67 * MIN + 1000);
    expect(due.fired).toEqual(['lossy:reconciliation']);
    expect(due.out.fired[0].message).toBe(
      '2 accepted records since 2026-05-01T00:00:00.000Z were not loaded within 6 minutes.',
    );

    // The two rows are loaded late; they count in the next hour's window, so the alert clears once that hour is due.
    h.metrics.add('acme', 'lossy', { loadedRows: 2 }, T0 + 70 * MIN);
    expect(await h.evaluate(T0 + 90 * MIN)).toMatchObject({ fired: [], resolved: [] });
    expect(await h.evaluate(T0 + 127 * MIN + 1000)).toMatchObject({
      fired: [],
      resolved: ['lossy:reconciliation'],
    });
  });

  it('resolves alerts of deleted streams and leaves alone streams whose data cannot be read', async () => {
    const h = await setup();
    const gone = await h.stream('acme', 'gone');
    await h.stream('acme', 'flaky');
    const err = { pendingRecords: 0, lastLoadError: { at: iso(T0), message: 'boom' } };
    h.statuses.set('acme/gone', err);
    h.statuses.set('acme/flaky', err);
    expect((await h.evaluate(T0 + MIN)).fired.sort()).toEqual(['flaky:load_errors', 'gone:load_errors']);

    await h.catalog.updateStream({ ...gone, deletedAt: iso(T0 + 2 * MIN), revision: 2 }, 1);
    h.broken.add('flaky');
    expect(await h.evaluate(T0 + 3 * MIN)).toMatchObject({ fired: [], resolved: ['gone:load_errors'] });
    expect((await h.list('acme')).find((a) => a.stream === 'flaky')?.state).toBe('firing');
  });

  it('retries a failed notification after notifyRetryMs, and never sends a resolution nobody was told fired', async () => {
    const h = await setup(['load_errors']);
    await h.stream('acme', 'orders');
    h.notifier.outcome = 'failed';
    h.statuses.set('acme/orders', { pendingRecords: 0, lastLoadError: { at: iso(T0), message: 'boom' } });
    await h.evaluate(T0 + MIN);
    expect(h.notifier.calls).toHaveLength(1);
    await h.evaluate(T0 + MIN + 15_000); // within the retry delay
    expect(h.notifier.calls).toHaveLength(1);
    h.notifier.outcome = 'sent';
    await h.evaluate(T0 + 2 * MIN + 1000);
    expect(h.notifier.calls.map((c) => c.state)).toEqual(['firing', 'firing']);
    expect((await h.list('acme'))[0].lastNotifiedState).toBe('firing');

    h.statuses.set('acme/other', { pendingRecords: 0, lastLoadError: { at: iso(T0), message: 'boom' } });
    await h.stream('acme', 'other');
    h.notifier.outcome = 'no_webhook';
    await h.evaluate(T0 + 3 * MIN);
    h.statuses.delete('acme/other');
    h.statuses.delete('acme/orders');
    h.notifier.outcome = 'sent';
    const cleared = await h.evaluate(T0 + 4 * MIN);
    expect(cleared.resolved.sort()).toEqual(['orders:load_errors', 'other:load_errors']);
    // orders' receiver heard it fire, so it hears it resolve; other's never heard anything.
    expect(h.notifier.calls.map((c) => `${c.id.split('.')[0]}:${c.state}`)).toEqual([
      'orders:firing',
      'orders:firing',
      'other:firing',
      'orders:resolved',
    ]);
  });

  it('runs on its timer until stopped', async () => {
    const h = await setup(['load_errors']);
    await h.stream('acme', 'orders');
    h.statuses.set('acme/orders', { pendingRecords: 0, lastLoadError: { at: iso(T0), message: 'boom' } });
    const timed = new AlertEvaluator({
      catalog: h.catalog,
      delivery: { status: async () => h.statuses.get('acme/orders')! },
      metrics: h.metrics,
      alerts: h.alerts,
      notifier: h.notifier,
      now: () => new Date(T0 + MIN),
      logger: silentLogger,
      intervalMs: 20,
      rules: ['load_errors'],
    });
    timed.start();
    await expect.poll(async () => (await h.list('acme')).length, { timeout: 5000 }).toBe(1);
    await timed.stop();
    expect((await h.list('acme'))[0]).toMatchObject({
      stream: 'orders',
      rule: 'load_errors',
      state: 'firing',
    });
  });
});
