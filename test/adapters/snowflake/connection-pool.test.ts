import { describe, expect, it } from 'vitest';
import { ConnectionPool } from '../../../api/adapters/snowflake/connection-pool.js';

/** Sessions that count their opens and closes; the pool only ever calls close() on them. */
function sessions() {
  const opened: string[] = [];
  const closed: string[] = [];
  const open = (name: string) => async () => {
    opened.push(name);
    return {
      name,
      close: async () => {
        closed.push(name);
      },
    };
  };
  return { opened, closed, open };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('ConnectionPool', () => {
  it('keeps one session per key and reuses it', async () => {
    const s = sessions();
    const pool = new ConnectionPool({ maxSize: 4, idleMs: 60_000 });
    for (let i = 0; i < 3; i++) await pool.use('acme', 'v1', s.open('acme'), async () => undefined);
    await pool.use('globex', 'v1', s.open('globex'), async () => undefined);
    expect(s.opened).toEqual(['acme', 'globex']);
    expect(pool.size).toBe(2);
    await pool.close();
    expect(s.closed.sort()).toEqual(['acme', 'globex']);
  });

  it('closes the least recently used session beyond maxSize', async () => {
    const s = sessions();
    const pool = new ConnectionPool({ maxSize: 2, idleMs: 60_000 });
    await pool.use('a', 'v', s.open('a'), async () => undefined);
    await pool.use('b', 'v', s.open('b'), async () => undefined);
    await pool.use('a', 'v', s.open('a'), async () => undefined); // a is now the most recent
    await pool.use('c', 'v', s.open('c'), async () => undefined);
    await settle();
    expect(s.closed).toEqual(['b']);
    expect(pool.size).toBe(2);
    await pool.use('a', 'v', s.open('a'), async () => undefined);
    expect(s.opened).toEqual(['a', 'b', 'c']);
  });

  it('closes sessions idle for idleMs on the next use (no timers: a frozen Lambda runs none)', async () => {
    let now = 0;
    const s = sessions();
    const pool = new ConnectionPool({ maxSize: 10, idleMs: 1_000, now: () => now });
    await pool.use('a', 'v', s.open('a'), async () => undefined);
    now = 500;
    await pool.use('b', 'v', s.open('b'), async () => undefined);
    now = 1_200;
    await pool.use('b', 'v', s.open('b'), async () => undefined);
    await settle();
    expect(s.closed).toEqual(['a']);
    now = 1_400;
    await pool.use('a', 'v', s.open('a'), async () => undefined);
    expect(s.opened).toEqual(['a', 'b', 'a']);
  });

  it('never closes a session under a running statement: over maxSize it closes an idle one instead', async () => {
    const s = sessions();
    const pool = new ConnectionPool({ maxSize: 1, idleMs: 60_000 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const long = pool.use('a', 'v', s.open('a'), async () => {
      await gate;
      return 'done';
    });
    await settle();
    await pool.use('b', 'v', s.open('b'), async () => undefined);
    await settle();
    expect(s.closed).toEqual(['b']);
    release();
    expect(await long).toBe('done');
    await settle();
    expect(s.closed).toEqual(['b']);
    expect(pool.size).toBe(1);
  });

  it('closes a session retired while in use (a changed binding) once its user is done', async () => {
    const s = sessions();
    const pool = new ConnectionPool({ maxSize: 4, idleMs: 60_000 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const long = pool.use('acme', 'old', s.open('acme-old'), () => gate);
    await settle();
    await pool.use('acme', 'new', s.open('acme-new'), async () => undefined);
    await settle();
    expect(s.closed).toEqual([]);
    release();
    await long;
    await settle();
    expect(s.closed).toEqual(['acme-old']);
    expect(pool.size).toBe(1);
  });

  it('replaces a session opened for another version (a changed binding), once its user is done', async () => {
    const s = sessions();
    const pool = new ConnectionPool({ maxSize: 4, idleMs: 60_000 });
    await pool.use('acme', 'old', s.open('acme-old'), async () => undefined);
    await pool.use('acme', 'new', s.open('acme-new'), async () => undefined);
    await settle();
    expect(s.opened).toEqual(['acme-old', 'acme-new']);
    expect(s.closed).toEqual(['acme-old']);
    expect(pool.size).toBe(1);
  });

  it('forgets a session that failed to open, so the next use tries again', async () => {
    const pool = new ConnectionPool<{ close(): Promise<void> }>({ maxSize: 4, idleMs: 60_000 });
    let attempts = 0;
    const failing = async () => {
      attempts++;
      throw new Error('login refused');
    };
    await expect(pool.use('a', 'v', failing, async () => undefined)).rejects.toThrow('login refused');
    await expect(pool.use('a', 'v', failing, async () => undefined)).rejects.toThrow('login refused');
    expect(attempts).toBe(2);
    expect(pool.size).toBe(0);
  });
});
