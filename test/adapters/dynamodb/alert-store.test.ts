import { beforeAll, describe, expect, it } from 'vitest';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoAlertStore } from '../../../api/adapters/dynamodb/alert-store.js';
import { alertId, type Alert, type AlertRule } from '../../../api/domain/monitoring/types.js';
import { useDynalite } from '../../support/dynalite.js';

const TABLE = 'alerts';
const client = useDynalite(TABLE);
let store: DynamoAlertStore;

const firing = (stream: string, rule: AlertRule, firedAt: string, tenant = 'acme'): Alert => ({
  id: alertId(stream, rule, firedAt),
  tenant,
  stream,
  rule,
  state: 'firing',
  message: `${rule} on ${stream}`,
  firedAt,
});

beforeAll(() => {
  store = new DynamoAlertStore(client(), TABLE);
});

describe('DynamoAlertStore against dynalite', () => {
  it('keeps one firing episode per (stream, rule) and lists newest first', async () => {
    const first = firing('orders', 'silence', '2026-03-01T10:00:00.000Z');
    expect(first.id).toBe(`orders.silence.${Date.parse('2026-03-01T10:00:00.000Z')}`);
    expect(await store.open(first)).toBe(true);
    expect(await store.open(firing('orders', 'silence', '2026-03-01T10:00:15.000Z'))).toBe(false);
    expect(await store.open(first)).toBe(false);
    // Another rule on the same stream is its own episode.
    expect(await store.open(firing('orders', 'load_delay', '2026-03-01T10:00:30.000Z'))).toBe(true);

    const list = await store.list('acme');
    expect(list.map((a) => [a.rule, a.state])).toEqual([
      ['load_delay', 'firing'],
      ['silence', 'firing'],
    ]);
    expect(list[1]).toEqual(first);
    expect(await store.list('globex')).toEqual([]);
  });

  it('resolves once, then lets a new episode open', async () => {
    const open = (await store.list('acme')).find((a) => a.rule === 'silence')!;
    expect(await store.resolve({ ...open, state: 'resolved', resolvedAt: '2026-03-01T11:00:00.000Z' })).toBe(
      true,
    );
    expect(await store.resolve({ ...open, state: 'resolved', resolvedAt: '2026-03-01T11:00:05.000Z' })).toBe(
      false,
    );
    const resolved = (await store.list('acme', { state: 'resolved' }))[0];
    expect(resolved).toMatchObject({
      id: open.id,
      state: 'resolved',
      resolvedAt: '2026-03-01T11:00:00.000Z',
    });

    const next = firing('orders', 'silence', '2026-03-01T12:00:00.000Z');
    expect(await store.open(next)).toBe(true);
    expect((await store.list('acme', { state: 'firing' })).map((a) => a.id).sort()).toEqual(
      [next.id, alertId('orders', 'load_delay', '2026-03-01T10:00:30.000Z')].sort(),
    );
    expect((await store.list('acme')).map((a) => a.firedAt)).toEqual([
      '2026-03-01T12:00:00.000Z',
      '2026-03-01T10:00:30.000Z',
      '2026-03-01T10:00:00.000Z',
    ]);
  });

  it('records notifications beside the alert, and active() returns what still needs work', async () => {
    const a = firing('billing', 'load_errors', '2026-03-02T00:00:00.000Z', 'notify');
    const b = firing('billing', 'silence', '2026-03-02T00:00:01.000Z', 'notify');
    const c = firing('billing', 'load_delay', '2026-03-02T00:00:02.000Z', 'notify');
    for (const x of [a, b, c]) expect(await store.open(x)).toBe(true);
    await store.markNotified('notify', a.id, 'firing');
    await store.markNotified('notify', b.id, 'firing');
    // A resolve written after the notification keeps it: the two never overwrite each other.
    await store.resolve({ ...a, state: 'resolved', resolvedAt: '2026-03-02T01:00:00.000Z' });
    await store.resolve({ ...b, state: 'resolved', resolvedAt: '2026-03-02T01:00:00.000Z' });
    await store.markNotified('notify', b.id, 'resolved');
    await store.markNotified('notify', 'missing.silence.1', 'firing'); // no such alert: nothing happens

    const byId = new Map((await store.list('notify')).map((x) => [x.id, x]));
    expect(byId.get(a.id)).toMatchObject({ state: 'resolved', lastNotifiedState: 'firing' });
    expect(byId.get(b.id)).toMatchObject({ state: 'resolved', lastNotifiedState: 'resolved' });
    expect(byId.get(c.id)?.lastNotifiedState).toBeUndefined();
    expect(byId.size).toBe(3);
    // Firing (c), and resolved-but-receiver-still-thinks-firing (a); b is done.
    expect((await store.active('notify')).map((x) => x.id).sort()).toEqual([a.id, c.id].sort());
  });

  it('lets exactly one of several racing openers win', async () => {
    const attempts = Array.from({ length: 6 }, (_, i) =>
      firing('race', 'silence', `2026-03-03T00:00:0${i}.000Z`, 'race'),
    );
    const results = await Promise.all(attempts.map((x) => store.open(x)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.list('race')).toHaveLength(1);
  });

  it('repairs an episode whose opener stopped between its two writes', async () => {
    const lost = firing('crash', 'silence', '2026-03-04T00:00:00.000Z', 'repair');
    // What open() writes first, alone: the marker, holding the alert it was claimed for.
    await client().send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: 'TENANT#repair' },
          sk: { S: 'FIRING#crash#silence' },
          doc: { S: JSON.stringify(lost) },
          aid: { S: lost.id },
        },
      }),
    );
    expect(await store.list('repair')).toEqual([]);
    expect(await store.open(firing('crash', 'silence', '2026-03-04T00:01:00.000Z', 'repair'))).toBe(false);
    expect(await store.list('repair')).toEqual([lost]);
  });

  it('clears a marker left behind by an interrupted resolve', async () => {
    const old = firing('stale', 'load_delay', '2026-03-05T00:00:00.000Z', 'repair');
    expect(await store.open(old)).toBe(true);
    expect(await store.resolve({ ...old, state: 'resolved', resolvedAt: '2026-03-05T00:10:00.000Z' })).toBe(
      true,
    );
    // Put the marker back, as if the resolve had stopped before deleting it.
    await client().send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: 'TENANT#repair' },
          sk: { S: 'FIRING#stale#load_delay' },
          doc: { S: JSON.stringify(old) },
          aid: { S: old.id },
        },
      }),
    );
    const next = firing('stale', 'load_delay', '2026-03-05T01:00:00.000Z', 'repair');
    expect(await store.open(next)).toBe(true);
    expect((await store.list('repair', { state: 'firing' })).map((x) => x.id)).toContain(next.id);
    // The new episode's marker is what now blocks a third.
    expect(await store.open(firing('stale', 'load_delay', '2026-03-05T02:00:00.000Z', 'repair'))).toBe(false);
  });
});
