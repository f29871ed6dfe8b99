import type { Config } from '../config.js';
import { DEFAULT_LOAD_MONITOR, type LoadMonitorSettings } from '../domain/monitoring/load-state.js';
import { DEFAULT_BODY_LIMITS } from '../domain/records/parse-body.js';
import type { IngestSettings } from '../domain/records/types.js';
import type { StreamDefaults } from '../domain/streams/types.js';
import type { WebhookPolicy } from '../domain/monitoring/webhook-target.js';
import type { DefaultWarehouseAccount } from '../domain/tenants/warehouse-binding.js';

// The domain's settings from the parsed environment: the environment variable names stop here.

/** When a stream's loading counts as stuck. */
export function loadMonitorSettings(config: Config): LoadMonitorSettings {
  return { ...DEFAULT_LOAD_MONITOR, maxUnloadedAgeSeconds: config.TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS };
}

/** Body limits and concurrency of the ingest verb; record nesting depth is not configurable. */
export function ingestSettings(config: Config): IngestSettings {
  return {
    limits: {
      ...DEFAULT_BODY_LIMITS,
      maxBodyBytes: config.TRIBUTARY_MAX_BODY_BYTES,
      maxDecompressedBytes: config.TRIBUTARY_MAX_DECOMPRESSED_BYTES,
      maxRecordBytes: config.TRIBUTARY_MAX_RECORD_BYTES,
      maxRecords: config.TRIBUTARY_MAX_RECORDS,
    },
    maxInFlight: config.TRIBUTARY_MAX_INFLIGHT_REQUESTS,
  };
}

/** The buffering hints a stream created without them gets. */
export function streamDefaults(config: Config): StreamDefaults {
  return {
    buffering: {
      intervalSeconds: config.TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS,
      sizeMiB: config.TRIBUTARY_DEFAULT_BUFFER_SIZE_MIB,
    },
  };
}

/** Where alert webhooks may point. */
export function webhookPolicy(config: Config): WebhookPolicy {
  return {
    allowPrivate: config.TRIBUTARY_WEBHOOK_ALLOW_PRIVATE,
    // In AWS mode alerts leave the VPC for the internet: never in clear text.
    requireHttps: config.TRIBUTARY_MODE === 'aws',
  };
}

/** The shared Snowflake account, as GET /v1/tenants/{t}/warehouse shows it to tenants that have none of their own. */
export function sharedWarehouseAccount(config: Config): DefaultWarehouseAccount {
  return {
    account: config.SNOWFLAKE_ACCOUNT,
    user: config.SNOWFLAKE_USER,
    role: config.SNOWFLAKE_ROLE,
    warehouse: config.SNOWFLAKE_WAREHOUSE,
    database: config.SNOWFLAKE_DATABASE,
    storageIntegration: config.TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION,
  };
}
