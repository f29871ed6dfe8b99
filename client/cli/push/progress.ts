import { SingleBar } from 'cli-progress';
import { println, type CliIo } from '../io.js';

export interface ProgressState {
  /** Bytes of the input file read (compressed bytes for gzip). */
  bytes: number;
  records: number;
  rejected: number;
}

export interface Progress {
  start(label: string, totalBytes: number | undefined, state: ProgressState): void;
  update(state: ProgressState): void;
  /** A message that must not be drawn over by the bar. */
  note(message: string): void;
  stop(): void;
}

/** Plain lines this often when stderr is not a terminal (CI logs, files). */
export const PLAIN_INTERVAL_MS = 5000;

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function rate(records: number, since: number, startRecords: number): number {
  const s = (Date.now() - since) / 1000;
  return s > 0 ? (records - startRecords) / s : 0;
}

/** Time left at the byte rate so far; '--' until there is a rate to go by. */
function eta(bytes: number, total: number | undefined, since: number, startBytes: number): string {
  const s = (Date.now() - since) / 1000;
  const perSecond = s > 0 ? (bytes - startBytes) / s : 0;
  if (!total || perSecond <= 0) return '--';
  const left = Math.max(0, Math.round((total - bytes) / perSecond));
  if (left >= 3600)
    return `${Math.floor(left / 3600)}h${String(Math.floor((left % 3600) / 60)).padStart(2, '0')}m`;
  if (left >= 60) return `${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s`;
  return `${left}s`;
}

/** A cli-progress bar on a terminal: bytes, records, records/s, ETA and rejects. */
class BarProgress implements Progress {
  private bar: SingleBar | undefined;
  private since = Date.now();
  private startRecords = 0;
  private startBytes = 0;

  constructor(private readonly io: CliIo) {}

  start(label: string, totalBytes: number | undefined, s: ProgressState): void {
    this.since = Date.now();
    this.startRecords = s.records;
    this.startBytes = s.bytes;
    const sized = totalBytes !== undefined && totalBytes > 0;
    this.bar = new SingleBar({
      stream: this.io.stderr,
      format: sized
        ? `${label} [{bar}] {percentage}% | {done}/{size} | {records} records | {rate} rec/s | ETA {remaining} | rejected {rejected}`
        : `${label} {done} | {records} records | {rate} rec/s | rejected {rejected}`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      fps: 5,
    });
    this.bar.start(sized ? totalBytes : 1, Math.min(s.bytes, totalBytes ?? 0), this.payload(s, totalBytes));
  }

  private payload(s: ProgressState, totalBytes?: number) {
    return {
      done: mib(s.bytes),
      size: totalBytes !== undefined ? mib(totalBytes) : '',
      records: int(s.records),
      rate: int(rate(s.records, this.since, this.startRecords)),
      rejected: int(s.rejected),
      remaining: eta(s.bytes, totalBytes, this.since, this.startBytes),
    };
  }

  update(s: ProgressState): void {
    const total = this.bar?.getTotal();
    this.bar?.update(total && total > 1 ? Math.min(s.bytes, total) : 0, this.payload(s, total));
  }

  note(message: string): void {
    // cli-progress redraws on the current line: end it first so the message keeps its own.
    this.io.stderr.write('\n');
    println(this.io.stderr, message);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** Not a terminal: one plain line every PLAIN_INTERVAL_MS, and one at the end. */
class LineProgress implements Progress {
  private timer: NodeJS.Timeout | undefined;
  private state: ProgressState = { bytes: 0, records: 0, rejected: 0 };
  private label = '';
  private total: number | undefined;
  private since = Date.now();
  private startRecords = 0;

  constructor(private readonly io: CliIo) {}

  start(label: string, totalBytes: number | undefined, s: ProgressState): void {
    this.label = label;
    this.total = totalBytes;
    this.state = s;
    this.since = Date.now();
    this.startRecords = s.records;
    this.timer = setInterval(() => this.print(), PLAIN_INTERVAL_MS);
    this.timer.unref();
  }

  private print(): void {
    const s = this.state;
    const pct = this.total ? ` (${Math.min(100, Math.floor((s.bytes / this.total) * 100))}%)` : '';
    println(
      this.io.stderr,
      `${this.label}: ${mib(s.bytes)}${this.total ? ` of ${mib(this.total)}` : ''}${pct}, ${int(s.records)} records, ` +
        `${int(rate(s.records, this.since, this.startRecords))} rec/s, ${int(s.rejected)} rejected`,
    );
  }

  update(s: ProgressState): void {
    this.state = s;
  }

  note(message: string): void {
    println(this.io.stderr, message);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.print();
  }
}

export function progressFor(io: CliIo, quiet: boolean): Progress {
  if (quiet) return { start: () => {}, update: () => {}, note: (m) => println(io.stderr, m), stop: () => {} };
  return io.stderr.isTTY ? new BarProgress(io) : new LineProgress(io);
}
