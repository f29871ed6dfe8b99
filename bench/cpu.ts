import { readdir, readFile } from 'node:fs/promises';

/** Linux USER_HZ: /proc times are in 1/100 s on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

export type CpuSnapshot = Map<string, { comm: string; ticks: number }>;

/** utime + stime of every thread of `pid`, keyed by thread id (Linux /proc). */
export async function cpuSnapshot(pid: number): Promise<CpuSnapshot> {
  const out: CpuSnapshot = new Map();
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tids) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    // Fields after the comm start at field 3 (state); utime and stime are fields 14 and 15.
    const fields = stat.slice(close + 2).split(' ');
    out.set(tid, { comm, ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return out;
}

export interface CpuUsage {
  /** CPU seconds used by the whole process between the snapshots. */
  seconds: number;
  /** CPU seconds by thread name ("node" is the main thread and unnamed native threads). */
  byThread: { name: string; seconds: number; threads: number }[];
  /** Main thread (tid = pid) alone. */
  mainSeconds: number;
}

export function cpuBetween(pid: number, a: CpuSnapshot, b: CpuSnapshot): CpuUsage {
  const groups = new Map<string, { seconds: number; threads: number }>();
  let total = 0;
  let main = 0;
  for (const [tid, end] of b) {
    const start = a.get(tid)?.ticks ?? 0;
    const s = Math.max(0, end.ticks - start) / TICKS_PER_SECOND;
    total += s;
    if (tid === String(pid)) main = s;
    const name = tid === String(pid) ? 'main (JS)' : end.comm;
    const g = groups.get(name) ?? { seconds: 0, threads: 0 };
    g.seconds += s;
    g.threads++;
    groups.set(name, g);
  }
  return {
    seconds: total,
    mainSeconds: main,
    byThread: [...groups]
      .map(([name, g]) => ({ name, ...g }))
      .filter((g) => g.seconds > 0)
      .sort((x, y) => y.seconds - x.seconds),
  };
}
