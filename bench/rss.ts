import { readFile } from 'node:fs/promises';

/** Resident memory of one process, sampled from /proc/<pid>/status (Linux). */
export async function readMemory(pid: number): Promise<{ rssKiB: number; hwmKiB: number } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * Polls a process's RSS and keeps the peak per named phase (VmHWM is a lifetime peak, so the
 * peak of one phase has to come from samples).
 */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private phase = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private lastHwmKiB = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  setPhase(phase: string): void {
    this.phase = phase;
  }

  async sample(): Promise<void> {
    const m = await readMemory(this.pid);
    if (!m) return;
    this.lastHwmKiB = Math.max(this.lastHwmKiB, m.hwmKiB);
    this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, m.rssKiB));
  }

  /** Peak sampled RSS in MiB during `phase`. */
  peakMiB(phase: string): number {
    return (this.peaks.get(phase) ?? 0) / 1024;
  }

  /** The kernel's lifetime peak (VmHWM) in MiB, as of the last sample. */
  hwmMiB(): number {
    return this.lastHwmKiB / 1024;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
