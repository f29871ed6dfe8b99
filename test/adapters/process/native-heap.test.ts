import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { HeapTrimmer, glibcHeap, type NativeHeap } from '../../../api/adapters/process/native-heap.js';

const silent = pino({ level: 'silent' });

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('glibcHeap', () => {
  // This machine (Debian, glibc) is where the soak ran; elsewhere there is nothing to trim.
  it('hands memory freed inside the heap back to the kernel', async () => {
    const heap = glibcHeap();
    expect(heap).toBeDefined();
    const gc = forceGc();
    // 150 MB of small malloc'd buffers, then keep one in 64: the heap is left full of holes that
    // glibc does not return by itself, since the top of the heap is still in use.
    let buffers: Buffer[] = [];
    for (let i = 0; i < 150_000; i++) buffers.push(Buffer.allocUnsafeSlow(1000).fill(1));
    buffers = buffers.filter((_, i) => i % 64 === 0);
    gc();
    gc();
    await new Promise((r) => setTimeout(r, 200));
    const before = process.memoryUsage.rss();
    expect(await heap!.trim()).toBe(true);
    const after = process.memoryUsage.rss();
    expect(before - after).toBeGreaterThan(50 * 2 ** 20);
    expect(buffers.length).toBeGreaterThan(0);
  });
});

describe('HeapTrimmer', () => {
  it('runs one trim at a time and joins requests made while one runs', async () => {
    let calls = 0;
    let finish!: () => void;
    const heap: NativeHeap = {
      trim: () => {
        calls++;
        return new Promise((r) => (finish = () => r(true)));
      },
    };
    const trimmer = new HeapTrimmer({ heap, everyMs: 0, logger: silent });
    const first = trimmer.trim();
    const second = trimmer.trim();
    finish();
    await Promise.all([first, second]);
    expect(calls).toBe(1);
    const third = trimmer.trim();
    finish();
    await third;
    expect(calls).toBe(2);
  });

  it('trims on its timer until stopped', async () => {
    let calls = 0;
    const heap: NativeHeap = { trim: () => Promise.resolve(++calls > 0) };
    const trimmer = new HeapTrimmer({ heap, everyMs: 10, logger: silent });
    trimmer.start();
    await new Promise((r) => setTimeout(r, 100));
    await trimmer.stop();
    const seen = calls;
    expect(seen).toBeGreaterThan(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(seen);
  });

  it('survives a failing trim and trims again later', async () => {
    let calls = 0;
    const heap: NativeHeap = {
      trim: () => (++calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve(true)),
    };
    const trimmer = new HeapTrimmer({ heap, everyMs: 0, logger: silent });
    await expect(trimmer.trim()).resolves.toBeUndefined();
    await trimmer.trim();
    expect(calls).toBe(2);
  });
});
