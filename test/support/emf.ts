import { vi } from 'vitest';

/** One EMF log line as CloudWatch Logs reads it. */
export interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [property: string]: unknown;
}

/**
 * Collects the EMF lines written to stdout (Powertools writes them with its own Console on
 * process.stdout) while the other output passes through. `stop` restores stdout.
 */
export function captureEmf(): { lines: EmfLine[]; stop: () => void } {
  const lines: EmfLine[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
    let emf = false;
    for (const line of text.split('\n')) {
      if (!line.startsWith('{"_aws"')) continue;
      lines.push(JSON.parse(line) as EmfLine);
      emf = true;
    }
    if (emf) return true;
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  });
  return { lines, stop: () => spy.mockRestore() };
}

/** The sum of a metric over the lines (optionally only those with the given properties). */
export function emfSum(lines: EmfLine[], metric: string, where: Record<string, string> = {}): number {
  return lines
    .filter((l) => Object.entries(where).every(([k, v]) => l[k] === v))
    .reduce((n, l) => n + (typeof l[metric] === 'number' ? l[metric] : 0), 0);
}
