import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Sender, type Outcome } from '../../../client/cli/push/sender.js';
import { TributaryError } from '../../../client/errors.js';

const busy = () => new TributaryError({ status: 429, title: 'Too Many Requests', retryAfterSeconds: 1 });
const refused = () => new TributaryError({ status: 403, title: 'Forbidden' });

/** A sender whose attempts answer from a script: per item, the outcomes of its attempts in turn. */
function scripted(
  script: Record<string, (string | Error)[]>,
  o: { concurrency?: number; timeoutMs?: number } = {},
) {
  const attempts: string[] = [];
  const settled = new Map<string, Outcome<string>>();
  const order: string[] = [];
  let retries = 0;
  const sender = new Sender<string, string>({
    concurrency: o.concurrency ?? 1,
    timeoutMs: o.timeoutMs,
    attempt: (item) => {
      attempts.push(item);
      const next = script[item].shift()!;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    settled: (item, outcome) => {
      settled.set(item, outcome);
      order.push(item);
    },
    onRetry: () => retries++,
    now: Date.now,
  });
  return { sender, attempts, settled, order, retries: () => retries };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Sender', () => {
  it('a batch waiting out Retry-After holds no connection: the next goes out and lands first', async () => {
    const { sender, attempts, settled, order, retries } = scripted({ a: [busy(), 'A'], b: ['B'] });
    sender.send('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(sender.hasRoom).toBe(true);
    sender.send('b');
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['b']);
    expect(sender.unsettled).toBe(1);

    // Retry-After: 1 is honoured: nothing is sent again before a second has passed.
    await vi.advanceTimersByTimeAsync(999);
    expect(attempts).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toEqual(['a', 'b', 'a']);
    expect(settled.get('a')).toMatchObject({ result: 'A' });
    expect(order).toEqual(['b', 'a']);
    expect(retries()).toBe(1);
    expect(sender.unsettled).toBe(0);
  });

  it('a retry that is due goes before any new batch', async () => {
    const { sender, attempts } = scripted({ a: [busy(), 'A'], b: [busy(), 'B'], c: ['C'] });
    sender.send('a');
    sender.send('b'); // over the limit of one, as push-file never does; it waits with the rest
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sender.hasRoom).toBe(true);
    sender.send('c');
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts.slice(0, 4).sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(attempts[4]).toBe('c');
  });

  it('holds new batches back while a due retry waits for a connection', async () => {
    let release: (v: string) => void = () => {};
    let retried = 0;
    const sender = new Sender<string, string>({
      concurrency: 1,
      attempt: (item) =>
        item === 'slow'
          ? new Promise((r) => (release = r))
          : item === 'a' && !retried++
            ? Promise.reject(busy())
            : Promise.resolve(item),
      settled: () => {},
    });
    sender.send('a');
    await vi.advanceTimersByTimeAsync(0);
    sender.send('slow');
    await vi.advanceTimersByTimeAsync(1_000);
    // a's retry is due, the one connection is busy: no new batch may jump ahead of it.
    expect(sender.hasRoom).toBe(false);
    release('slow');
    await vi.advanceTimersByTimeAsync(0);
    expect(sender.unsettled).toBe(0);
    expect(sender.hasRoom).toBe(true);
  });

  it('sends nothing new while 2 × concurrency batches are unanswered, so a refusing server is not flooded', async () => {
    const { sender, attempts } = scripted({ a: [busy(), 'A'], b: [busy(), 'B'] });
    sender.send('a');
    await vi.advanceTimersByTimeAsync(0);
    sender.send('b');
    await vi.advanceTimersByTimeAsync(0);
    // Both wait out their Retry-After: no connection is busy, yet a third batch must wait.
    expect(sender.unsettled).toBe(2);
    expect(sender.hasRoom).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(attempts).toEqual(['a', 'b', 'a', 'b']);
    expect(sender.unsettled).toBe(0);
    expect(sender.hasRoom).toBe(true);
  });

  it('settles at once on an answer that would fail again, and gives up after timeoutMs', async () => {
    const { sender, settled, attempts } = scripted(
      { no: [refused()], slow: [busy(), busy(), busy(), busy()] },
      { concurrency: 2, timeoutMs: 2_500 },
    );
    sender.send('no');
    sender.send('slow');
    await vi.advanceTimersByTimeAsync(0);
    expect((settled.get('no') as { error: TributaryError }).error.status).toBe(403);
    await vi.advanceTimersByTimeAsync(10_000);
    // Sent at 0, 1, 2 and 3 s (Retry-After: 1 outweighs the jitter); at 3 s it is past 2.5 s: it stops.
    expect(attempts.filter((a) => a === 'slow')).toHaveLength(4);
    const gaveUp = settled.get('slow') as { error: TributaryError; sentFor: number };
    expect(gaveUp.error.status).toBe(429);
    expect(gaveUp.sentFor).toBeGreaterThanOrEqual(2_500);
  });

  it('abort settles the batches waiting to be retried and sends nothing more', async () => {
    const { sender, settled, attempts } = scripted({ a: [busy(), 'A'] });
    sender.send('a');
    await vi.advanceTimersByTimeAsync(0);
    const reason = new Error('interrupted');
    sender.abort(reason);
    expect(settled.get('a')).toMatchObject({ error: reason });
    expect(sender.unsettled).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(attempts).toEqual(['a']);
  });
});
