/** The flags of `npm run cost` (bench/cost/cli.ts): every input of the model, with its default. */
import { parseArgs } from 'node:util';
import { defaultInputs, type CostInputs } from './model.js';
import { PRICES } from './prices.js';

/** Flags that set a numeric input, with what they mean. */
const NUMERIC: Partial<Record<keyof CostInputs, string>> = {
  recordsPerRequest: 'records per ingest request',
  hours: 'hours the records arrive over (fixed costs are for this long)',
  streams: 'active tenant streams',
  lambdaMemoryMb: 'Lambda memory (MB)',
  cpuMsPerRequest: 'CPU ms per ingest request (default: npm run bench:lambda, for the body size)',
  ioWaitMsPerRequest: 'ms an ingest request waits on Firehose and DynamoDB',
  lineOverheadBytes: 'envelope bytes a lake line adds to a record',
  compressionRatio: 'compressed size / raw size',
  idempotentShare: 'share of requests with an Idempotency-Key',
  glacierAfterDays: 'days before raw/ moves to Glacier',
  retentionMonths: 'months the lake and tables keep the records',
  creditPrice: 'USD per Snowflake credit',
  warehouseCreditsPerHour: 'warehouse credits an hour (X-Small: 1)',
  warehouseActiveShare: 'share of the period the warehouse runs',
  snowflakeCopies: 'copies of a record in Snowflake tables',
  containers: 'warm Lambda containers',
  customMetrics: 'custom CloudWatch metrics',
  alarms: 'CloudWatch alarms',
};

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function parseCostArgs(
  argv: string[],
): { inputs: CostInputs; format: 'text' | 'markdown' | 'json' | 'prices' } | 'help' {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    records: { type: 'string' },
    bytes: { type: 'string' },
    snowpipe: { type: 'string' },
    format: { type: 'string' },
    help: { type: 'boolean' },
  };
  for (const key of Object.keys(NUMERIC)) options[kebab(key)] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options, strict: true });
  if (values.help) return 'help';
  const num = (flag: string, raw: unknown): number => {
    const n = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new Error(`--${flag} must be a non-negative number, got ${String(raw)}`);
    return n;
  };
  const records = values.records === undefined ? 1e9 : num('records', values.records);
  const bytes = values.bytes === undefined ? 200 : num('bytes', values.bytes);
  const perRequest = values['records-per-request'];
  const inputs = defaultInputs(
    records,
    bytes,
    perRequest === undefined ? 100 : num('records-per-request', perRequest),
  );
  for (const key of Object.keys(NUMERIC) as (keyof CostInputs)[]) {
    const raw = values[kebab(key)];
    if (raw !== undefined) (inputs as unknown as Record<string, number>)[key] = num(kebab(key), raw);
  }
  if (values.snowpipe !== undefined) {
    if (values.snowpipe !== 'per-gb' && values.snowpipe !== 'per-file')
      throw new Error(`--snowpipe must be per-gb or per-file, got ${String(values.snowpipe)}`);
    inputs.snowpipeBilling = values.snowpipe;
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'markdown' && format !== 'json' && format !== 'prices')
    throw new Error(`--format must be text, markdown, json or prices, got ${String(format)}`);
  return { inputs, format };
}

export function help(): string {
  const d = defaultInputs(1e9, 200);
  return [
    'npm run cost -- [--records 1e9] [--bytes 200] [flags]',
    '',
    `Prices: bench/cost/prices.ts (${PRICES.region}, as of ${PRICES.asOf}). Flags and defaults:`,
    '  --records <n>                 records in the period (1e9)',
    '  --bytes <n>                   bytes per record as sent (200)',
    '  --snowpipe per-gb|per-file    Snowpipe billing (per-gb)',
    '  --format text|markdown|json|prices  (text; prices: the dated price table)',
    ...Object.entries(NUMERIC).map(
      ([k, what]) => `  --${kebab(k).padEnd(28)}${what} (${String(d[k as keyof CostInputs])})`,
    ),
  ].join('\n');
}
