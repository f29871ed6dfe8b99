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
import { newIngestState } from '../domain/records/ingest-state.js';
import { EmfMetrics } from '../monitoring/emf-metrics.js';
import { MinuteMetrics } from '../monitoring/minute-metrics.js';
import { AlertEvaluator } from '../monitoring/evaluator.js';
import { LoadHistoryPoller } from '../monitoring/load-history-poller.js';
import type { LoadHistorySource, WarehouseBindingProbe } from '../ports.js';
import { WebhookNotifier } from '../monitoring/webhook.js';
import { DynamoCursorStore } from '../adapters/dynamodb/cursor-store.js';
import { checkTable, type TableCheck } from '../adapters/dynamodb/table-check.js';
// Type only: erased at build time, so the ingest bundle still never loads snowflake-sdk.
import type { SnowflakeWarehouse } from '../adapters/snowflake/warehouse.js';
import type { Services } from '../services.js';
import {
  ingestSettings,
  loadMonitorSettings,
  sharedWarehouseAccount,
  streamDefaults,
  webhookPolicy,
} from './settings.js';
import { LazyWarehouse } from './lazy-warehouse.js';

export interface AwsStack {
  services: Services;
  /** CloudWatch metrics (EMF): the Lambda entry counts answers and publishes once per invocation. */
  cloudwatch: EmfMetrics;
  /**
   * The scheduled (EventBridge) invocation: reads Snowpipe's COPY_HISTORY into the load counters and the
   * batch receipts, then evaluates the freshness alerts and sends their webhooks. Lambda timers don't run
   * while frozen.
   */
  tick: () => Promise<{
    streams: number;
    loads: number;
    failures: number;
    receipts: number;
    fired: number;
    resolved: number;
  }>;
  /**
   * Compares the deployed catalog table with the adapter's definition (one DescribeTable) and logs a
   * CatalogTableMismatchError when they differ. Never rejects.
   */
  checkCatalogTable: () => Promise<TableCheck>;
}

/** How long another Lambda may keep serving a revoked key or an old stream spec. */
const CATALOG_CACHE_TTL_MS = 10_000;

/**
 * AWS mode: DynamoDB catalog, Firehose delivery, Snowflake warehouse (loaded lazily so the ingest
 * path never imports snowflake-sdk). Metrics are flushed by the Lambda entry after each invocation.
 */
export function composeAws(config: Config, logger: Logger): AwsStack {
  if (!config.TRIBUTARY_ADMIN_KEY) throw new Error('TRIBUTARY_ADMIN_KEY is required when TRIBUTARY_MODE=aws');
  const table = config.TRIBUTARY_TABLE_NAME!;
  const dynamo = createDynamoClient({
    region: config.AWS_REGION,
    endpoint: config.TRIBUTARY_DYNAMODB_ENDPOINT,
  });
  const catalog = new CachedCatalog(new DynamoCatalog(dynamo, table), CATALOG_CACHE_TTL_MS);
  // Timers don't run while a Lambda is frozen, so no background flush: the entry flushes per invocation.
  // Every delta also counts toward CloudWatch, which is where fleet-wide numbers and alarms live.
  const cloudwatch = new EmfMetrics({ logger: logger.child({ component: 'emf' }) });
  const metrics = cloudwatch.instrument(
    new MinuteMetrics(new DynamoMetricsStore(dynamo, table), Date.now, 0),
  );
  const receipts = new DynamoReceiptStore({ client: dynamo, tableName: table });
  const delivery = new FirehoseDelivery({
    client: createFirehoseClient({
      region: config.AWS_REGION!,
      endpoint: config.TRIBUTARY_FIREHOSE_ENDPOINT,
    }),
    rawStreamName: config.TRIBUTARY_FIREHOSE_STREAM!,
    quarantineStreamName: config.TRIBUTARY_FIREHOSE_QUARANTINE_STREAM!,
    retryBudgetMs: config.TRIBUTARY_RETRY_BUDGET_MS,
    receipts,
    metrics,
    logger: logger.child({ component: 'firehose' }),
  });
  const warehouse = new LazyWarehouse<SnowflakeWarehouse>(async () => {
    const { snowflakeWarehouseFromConfig } = await import('../adapters/snowflake/index.js');
    return snowflakeWarehouseFromConfig(config, {
      logger: logger.child({ component: 'snowflake' }),
      bindingOf: (tenant) => catalog.getWarehouseBinding(tenant),
    });
  });
  // Lazily too: only PUT /v1/tenants/{t}/warehouse checks a binding.
  const bindingProbe: WarehouseBindingProbe = {
    check: async (spec) =>
      (await import('../adapters/snowflake/index.js')).snowflakeBindingProbeFromConfig(config).check(spec),
  };
  const alerts = new DynamoAlertStore(dynamo, table);
  const services: Services = {
    catalog,
    idempotency: new DynamoIdempotencyStore(dynamo, table),
    delivery,
    warehouse,
    metrics,
    alerts,
    webhooks: webhookPolicy(config),
    logger,
    loadMonitor: loadMonitorSettings(config),
    now: () => new Date(),
    ingestSettings: ingestSettings(config),
    streamDefaults: streamDefaults(config),
    ingest: newIngestState(),
    adminKeyHash: hashSecret(config.TRIBUTARY_ADMIN_KEY),
    warehouseAccounts: { shared: sharedWarehouseAccount(config), probe: bindingProbe },
  };
  const poller = new LoadHistoryPoller({
    catalog,
    source: (): Promise<LoadHistorySource> => warehouse.prepare(),
    metrics,
    cursors: new DynamoCursorStore(dynamo, table),
    logger: logger.child({ component: 'load-history' }),
    // Snowpipe loads the lake, so the tick is what turns a receipt 'loaded' (with its load time).
    receipts,
  });
  const evaluator = new AlertEvaluator({
    catalog,
    delivery,
    metrics,
    alerts,
    notifier: new WebhookNotifier({
      catalog,
      policy: webhookPolicy(config),
      logger: logger.child({ component: 'webhook' }),
    }),
    now: () => new Date(),
    logger: logger.child({ component: 'alerts' }),
    // Firehose reports nothing pending, so load delay is judged by reconciliation of COPY_HISTORY counts.
    rules: ['silence', 'reconciliation', 'load_errors'],
  });
  return {
    services,
    cloudwatch,
    checkCatalogTable: async () => {
      const check = await checkTable(dynamo, table).catch((error: unknown) => ({
        state: 'unchecked' as const,
        error,
      }));
      if (check.state === 'mismatch')
        logger.error({ err: check.error, table }, 'the catalog table does not match this version');
      if (check.state === 'unchecked')
        logger.warn({ err: check.error, table }, 'could not check the catalog table at cold start');
      return check;
    },
    tick: async () => {
      const loads = await poller.poll();
      await metrics.flush();
      const alertsNow = await evaluator.evaluate();
      await evaluator.idle();
      return { ...loads, fired: alertsNow.fired.length, resolved: alertsNow.resolved.length };
    },
  };
}
