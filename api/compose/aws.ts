import type { Logger } from 'pino';
import { CachedCatalog } from '../adapters/cache/cached-catalog.js';
// Module by module, not the barrel: the barrel also exports embedded dynalite (a native addon, local only).
import { DynamoAlertStore } from '../adapters/dynamodb/alert-store.js';
import { DynamoCatalog } from '../adapters/dynamodb/catalog.js';
import { createDynamoClient } from '../adapters/dynamodb/client.js';
import { DynamoIdempotencyStore } from '../adapters/dynamodb/idempotency.js';
import { DynamoMetricsStore } from '../adapters/dynamodb/metrics-store.js';
import { DynamoReceiptStore, FirehoseDelivery, createFirehoseClient } from '../adapters/firehose/index.js';
import type { Config } from '../config.js';
import { hashSecret } from '../domain/auth/secrets.js';
import { createBatchIdGenerator } from '../domain/records/ids.js';
import { RecentKeys } from '../domain/records/recent-keys.js';
import { ValidatorCache } from '../domain/records/validators.js';
import { MinuteMetrics } from '../monitoring/minute-metrics.js';
import { PromMetrics } from '../monitoring/prometheus.js';
import type { Services } from '../services.js';
import { LazyWarehouse } from './lazy-warehouse.js';

/** How long another Lambda may keep serving a revoked key or an old stream spec. */
const CATALOG_CACHE_TTL_MS = 10_000;

/**
 * AWS mode: DynamoDB catalog, Firehose delivery, Snowflake warehouse (loaded lazily so the ingest
 * path never imports snowflake-sdk). Metrics are flushed by the Lambda entry after each invocation.
 */
export function composeAws(config: Config, logger: Logger): Services & { metrics: MinuteMetrics } {
  if (!config.TRIBUTARY_ADMIN_KEY) throw new Error('TRIBUTARY_ADMIN_KEY is required when TRIBUTARY_MODE=aws');
  const table = config.TRIBUTARY_TABLE_NAME!;
  const dynamo = createDynamoClient({ region: config.AWS_REGION, endpoint: config.TRIBUTARY_DYNAMODB_ENDPOINT });
  const catalog = new CachedCatalog(new DynamoCatalog(dynamo, table), CATALOG_CACHE_TTL_MS);
  // Timers don't run while a Lambda is frozen, so no background flush: the entry flushes per invocation.
  const metrics = new MinuteMetrics(new DynamoMetricsStore(dynamo, table), Date.now, 0);
  const delivery = new FirehoseDelivery({
    client: createFirehoseClient({ region: config.AWS_REGION!, endpoint: config.TRIBUTARY_FIREHOSE_ENDPOINT }),
    rawStreamName: config.TRIBUTARY_FIREHOSE_STREAM!,
    quarantineStreamName: config.TRIBUTARY_FIREHOSE_QUARANTINE_STREAM!,
    retryBudgetMs: config.TRIBUTARY_RETRY_BUDGET_MS,
    receipts: new DynamoReceiptStore({ client: dynamo, tableName: table }),
    metrics,
    logger: logger.child({ component: 'firehose' }),
  });
  const warehouse = new LazyWarehouse(async () => {
    const { snowflakeWarehouseFromConfig } = await import('../adapters/snowflake/index.js');
    return snowflakeWarehouseFromConfig(config, { logger: logger.child({ component: 'snowflake' }) });
  });
  return {
    config,
    catalog,
    idempotency: new DynamoIdempotencyStore(dynamo, table),
    delivery,
    warehouse,
    metrics,
    alerts: new DynamoAlertStore(dynamo, table),
    // Counts what this Lambda container saw; fleet-wide numbers come from CloudWatch.
    prometheus: new PromMetrics(),
    logger,
    now: () => new Date(),
    ingest: { nextBatchId: createBatchIdGenerator(Date.now), recentKeys: new RecentKeys(), validators: new ValidatorCache(), inFlight: { count: 0 } },
    adminKeyHash: hashSecret(config.TRIBUTARY_ADMIN_KEY),
  };
}
