import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../client/budget.js';

describe('ByteBudget', () => {
  it('grants waiting acquires in order, each at the moment its room is taken, before a newcomer', async () => {
    const budget = new ByteBudget(10);
    const order: string[] = [];
    expect(budget.tryAcquire(8)).toBe(true);
    const a = budget.acquire(5, () => order.push('a'));
    const b = budget.acquire(5, () => order.push('b'));
    // Someone is waiting: a newcomer does not jump the queue, even for 1 byte that would fit.
    expect(budget.tryAcquire(1)).toBe(false);
    budget.release(8);
    // Both granted synchronously by release, before any promise continuation could queue more.
    expect(order).toEqual(['a', 'b']);
    expect(budget.bytes).toBe(10);
    expect(budget.tryAcquire(1)).toBe(false);
    await Promise.all([a, b]);
    budget.release(10);
    expect(budget.tryAcquire(1)).toBe(true);
  });

  it('fails waiters it rejects without granting them', async () => {
    const budget = new ByteBudget(4);
    budget.tryAcquire(4);
    let granted = false;
    const waiting = budget.acquire(2, () => (granted = true));
    budget.rejectWaiting(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
    budget.release(4);
    expect([granted, budget.bytes, budget.waiters]).toEqual([false, 0, 0]);
  });
});
