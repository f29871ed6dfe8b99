import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import type { Logger } from 'pino';

/**
 * glibc's malloc keeps memory freed in the middle of its heap: it only gives back the top. A node
 * that parses request bodies and reopens DuckDB instances for hours frees far more than it keeps,
 * in interleaved sizes, so its resident size climbed about 50 MiB an hour in the 2-hour soak while
 * the live heap stayed flat (gdb's mallinfo2 counted 50-70 MiB free inside the arenas, and one
 * malloc_trim(0) gave 31 MiB back). `malloc_trim` returns those free pages to the kernel.
 */
export interface NativeHeap {
  /** Resolves with whether any memory was released; runs off the event loop. */
  trim(): Promise<boolean>;
}

/** glibc's `malloc_trim` through koffi, or undefined where there is no glibc (musl, macOS, Windows). */
export function glibcHeap(): NativeHeap | undefined {
  if (process.platform !== 'linux') return undefined;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  if (!report?.header?.glibcVersionRuntime) return undefined;
  let trim: Koffi.KoffiFunc<(pad: number) => number>;
  try {
    // Loaded lazily: koffi is a native module, and only this glibc path needs it.
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as Koffi.KoffiFunc<
      (pad: number) => number
    >;
  } catch {
    return undefined;
  }
  return {
    // On a worker thread: trimming a fragmented heap can take a second, which the event loop must not wait.
    trim: () =>
      new Promise((resolve, reject) =>
        trim.async(0, (err: unknown, released: number) =>
          err
            ? reject(err instanceof Error ? err : new Error('malloc_trim failed'))
            : resolve(released === 1),
        ),
      ),
  };
}

export interface HeapTrimmerOptions {
  heap: NativeHeap;
  everyMs: number;
  logger: Logger;
}

/** Trims the native heap on a timer, and when asked (after a DuckDB instance is closed). */
export class HeapTrimmer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly opts: HeapTrimmerOptions) {}

  start(): void {
    if (this.timer || this.opts.everyMs <= 0) return;
    this.timer = setInterval(() => void this.trim(), this.opts.everyMs);
    this.timer.unref();
  }

  /** One trim at a time: a request while one runs joins it. */
  trim(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async run(): Promise<void> {
    const started = performance.now();
    const before = process.memoryUsage.rss();
    try {
      const released = await this.opts.heap.trim();
      this.opts.logger.debug(
        {
          released,
          ms: Math.round(performance.now() - started),
          rssBeforeMiB: Math.round(before / 2 ** 20),
          rssAfterMiB: Math.round(process.memoryUsage.rss() / 2 ** 20),
        },
        'trimmed the native heap',
      );
    } catch (err) {
      this.opts.logger.warn({ err }, 'trimming the native heap failed');
    }
  }
}
