import { z } from 'zod';

const int = (def: number) => z.coerce.number().int().positive().default(def);

/** Every setting, parsed once from the environment at the composition root. */
export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  TRIBUTARY_MODE: z.enum(['local', 'aws']).default('local'),
  TRIBUTARY_DATA_DIR: z.string().min(1).default('./.tributary'),
  TRIBUTARY_ADMIN_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  TRIBUTARY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRIBUTARY_MAX_BODY_BYTES: int(4 * 1024 * 1024),
  TRIBUTARY_MAX_DECOMPRESSED_BYTES: int(16 * 1024 * 1024),
  TRIBUTARY_MAX_RECORD_BYTES: int(1000 * 1024),
  TRIBUTARY_MAX_RECORDS: int(10_000),
  /** Acknowledged bytes not yet published to the lake before ingest answers 429. */
  TRIBUTARY_BUFFER_HIGH_WATERMARK_BYTES: int(32 * 1024 * 1024),
  /**
   * Delivered bytes the loader has not loaded yet before ingest answers 429. This bounds lag: when the
   * loader is the bottleneck the backlog sits at this size, so freshness is about buffer interval +
   * this / load rate (16 MiB is well under a second at the local loader's rate).
   */
  TRIBUTARY_MAX_UNLOADED_BYTES: int(16 * 1024 * 1024),
  /** Ingest requests being processed at once before new ones get 429 (bounds memory under overload). */
  TRIBUTARY_MAX_INFLIGHT_REQUESTS: int(64),
  /**
   * How long an ingest request may wait, before its body is read, for buffers or the loader to catch up.
   * Backpressure is latency first, refusal last: a loader group load often takes more than 100 ms, and a
   * request refused then is answered Retry-After: 1, so its producer sleeps a second (and every producer
   * refused at that moment sleeps the same second) while the server has room again. Waiting requests
   * are bounded by TRIBUTARY_MAX_INFLIGHT_REQUESTS and hold no body in memory.
   */
  TRIBUTARY_ADMIT_WAIT_MS: z.coerce.number().int().min(0).default(1000),
  /**
   * Idempotency-Keys the local store keeps at once (each for 24 h, about 0.7 KB of memory apiece);
   * past it a request with a new key answers 429 until old keys expire. Local mode only.
   */
  TRIBUTARY_IDEMPOTENCY_MAX_KEYS: int(500_000),
  /** DuckDB per-tenant memory limit and threads: the loader must leave room for the API on small hosts. */
  TRIBUTARY_DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(KB|MB|GB)$/, 'must look like 256MB')
    .default('64MB'),
  TRIBUTARY_DUCKDB_THREADS: int(1),
  TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: z.coerce.number().positive().default(1),
  TRIBUTARY_DEFAULT_BUFFER_SIZE_MIB: z.coerce.number().positive().default(5),
  TRIBUTARY_GZIP_OBJECTS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  TRIBUTARY_SHUTDOWN_TIMEOUT_SECONDS: int(30),
  /** Let webhooks reach loopback, private and link-local addresses: for local testing only. */
  TRIBUTARY_WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** /ready answers 503 naming the streams whose oldest unloaded record is older than this. */
  TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS: int(300),
  // AWS mode
  AWS_REGION: z.string().optional(),
  TRIBUTARY_TABLE_NAME: z.string().optional(),
  TRIBUTARY_DYNAMODB_ENDPOINT: z.string().url().optional(),
  TRIBUTARY_FIREHOSE_STREAM: z.string().optional(),
  TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: z.string().optional(),
  TRIBUTARY_FIREHOSE_ENDPOINT: z.string().url().optional(),
  TRIBUTARY_RETRY_BUDGET_MS: int(8_000),
  SNOWFLAKE_ACCOUNT: z.string().optional(),
  SNOWFLAKE_USER: z.string().optional(),
  SNOWFLAKE_ROLE: z.string().optional(),
  SNOWFLAKE_WAREHOUSE: z.string().optional(),
  SNOWFLAKE_DATABASE: z.string().optional(),
  SNOWFLAKE_ACCESS_URL: z.string().url().optional(),
  SNOWFLAKE_PRIVATE_KEY: z.string().optional(),
  SNOWFLAKE_PRIVATE_KEY_SECRET_ARN: z.string().optional(),
  /**
   * Access URL of tenants' own Snowflake accounts (PUT /v1/tenants/{t}/warehouse), `{account}` replaced by
   * the binding's account, e.g. https://{account}.privatelink.snowflakecomputing.com. Default: the public URL.
   */
  SNOWFLAKE_TENANT_ACCESS_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL, optionally with {account}')
    .optional(),
  /** A Secrets Manager-compatible endpoint (tests); tenants' Snowflake keys are read there. */
  TRIBUTARY_SECRETS_MANAGER_ENDPOINT: z.string().url().optional(),
  TRIBUTARY_S3_BUCKET: z.string().optional(),
  TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION: z.string().optional(),
  /**
   * The SNS topic the lake bucket publishes object-created events to (the stack sets it when tenants have
   * Snowflake accounts of their own); every pipe then subscribes with AWS_SNS_TOPIC.
   */
  TRIBUTARY_LAKE_EVENTS_TOPIC_ARN: z.string().optional(),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Parses the environment; the message names every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  if (config.TRIBUTARY_MODE === 'aws') {
    const missing = (
      [
        'AWS_REGION',
        'TRIBUTARY_TABLE_NAME',
        'TRIBUTARY_FIREHOSE_STREAM',
        'TRIBUTARY_FIREHOSE_QUARANTINE_STREAM',
      ] as const
    ).filter((k) => !config[k]);
    if (missing.length)
      throw new ConfigError(
        `Invalid configuration:\n${missing.map((k) => `  ${k}: required when TRIBUTARY_MODE=aws`).join('\n')}`,
      );
  }
  return config;
}
