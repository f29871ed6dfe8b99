import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./post.lua', import.meta.url));
const KEYED_SCRIPT = fileURLToPath(new URL('./post-keyed.lua', import.meta.url));

export interface WrkResult {
  durationSeconds: number;
  requests: number;
  statuses: Record<string, number>;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export function wrkVersion(): string | undefined {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error) return undefined;
  return /wrk (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

/** Runs wrk with bench/post.lua (or post-keyed.lua): fixed POST body, per-status counts, latency percentiles. */
export function runWrk(opts: {
  url: string;
  bodyFile: string;
  token?: string;
  connections: number;
  seconds: number;
  threads?: number;
  timeoutSeconds?: number;
  /** Send a unique Idempotency-Key (this prefix, the thread, a counter) with every request. */
  idempotencyKeyPrefix?: string;
}): Promise<WrkResult> {
  const args = [
    `-t${Math.min(opts.threads ?? 2, opts.connections)}`,
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    `--timeout`,
    `${opts.timeoutSeconds ?? 10}s`,
    '--latency',
    '-s',
    opts.idempotencyKeyPrefix ? KEYED_SCRIPT : SCRIPT,
    opts.url,
    '--',
    opts.bodyFile,
    opts.token ?? '',
    ...(opts.idempotencyKeyPrefix ? [opts.idempotencyKeyPrefix] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (exit ${code}):\n${out}`));
      const raw = JSON.parse(line.slice('WRK_JSON '.length)) as {
        duration_us: number;
        requests: number;
        statuses: Record<string, number>;
        errors: WrkResult['errors'];
        latency_us: WrkResult['latencyMs'];
      };
      const ms = (us: number) => us / 1000;
      resolve({
        durationSeconds: raw.duration_us / 1e6,
        requests: raw.requests,
        statuses: raw.statuses,
        errors: raw.errors,
        latencyMs: {
          p50: ms(raw.latency_us.p50),
          p90: ms(raw.latency_us.p90),
          p99: ms(raw.latency_us.p99),
          max: ms(raw.latency_us.max),
          mean: ms(raw.latency_us.mean),
        },
      });
    });
  });
}
