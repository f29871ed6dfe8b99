import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { DuckDbWarehouse } from '../adapters/duckdb/index.js';
import { CachedCatalog } from '../adapters/cache/cached-catalog.js';
import {
  DynamoCatalog,
  DynamoMetricsStore,
  createDynamoClient,
  ensureTable,
  startDynalite,
} from '../adapters/dynamodb/index.js';
import { DynamoAlertStore } from '../adapters/dynamodb/alert-store.js';
import {
  LocalDelivery,
  LocalIdempotencyStore,
  idempotencyDir,
  nodeLogFs,
  type JournalFs,
  type LocalDeliverySettings,
  type LocalIdempotencySettings,
  type LogFs,
} from '../adapters/local/index.js';
import type { Config } from '../config.js';
import { hashSecret } from '../domain/auth/secrets.js';
import { newIngestState } from '../domain/records/ingest-state.js';
import { AlertEvaluator } from '../monitoring/evaluator.js';
import { MinuteMetrics } from '../monitoring/minute-metrics.js';
import { PromMetrics } from '../monitoring/prometheus.js';
import { WebhookNotifier } from '../monitoring/webhook.js';
import type { Services } from '../services.js';
import { ingestSettings, loadMonitorSettings, streamDefaults, webhookPolicy } from './settings.js';

export interface LocalStack {
  services: Services;
  dataDir: string;
  catalogEndpoint: string;
  /** SIGTERM path: flush every buffer, load everything, then release engines. */
  drainAndClose(): Promise<void>;
  /** Test path: release engines without draining. */
  close(): Promise<void>;
}

const TABLE = 'tributary';
const MiB = 1024 * 1024;

/**
 * Local delivery's settings: the limits the environment sets, and fixed values for the rest. The
 * one place they are resolved; the adapter has no defaults of its own.
 */
export function localDeliverySettings(config: Config): LocalDeliverySettings {
  return {
    highWatermarkBytes: config.TRIBUTARY_BUFFER_HIGH_WATERMARK_BYTES,
    maxUnloadedBytes: config.TRIBUTARY_MAX_UNLOADED_BYTES,
    admitWaitMs: config.TRIBUTARY_ADMIT_WAIT_MS,
    // The log's group-commit queue: at most 16 MiB, and never more than the buffers may hold.
    maxQueueBytes: Math.min(16 * MiB, config.TRIBUTARY_BUFFER_HIGH_WATERMARK_BYTES),
    maxQueueEntries: 20_000,
    gzip: config.TRIBUTARY_GZIP_OBJECTS,
    segmentBytes: 64 * MiB,
    drainTimeoutMs: 30_000,
    loadConcurrency: 1,
    retryBaseMs: 250,
    retryMaxMs: 30_000,
    refreshRetryMs: 5_000,
    receiptRetentionMs: 24 * 3_600_000,
    maxReceiptsInMemory: 20_000,
  };
}

/** The local idempotency store's limits; keys are held 24 h, the promise README makes. */
export function localIdempotencySettings(config: Config): LocalIdempotencySettings {
  return { maxKeys: config.TRIBUTARY_IDEMPOTENCY_MAX_KEYS, retentionMs: 24 * 3_600_000 };
}

/** Engine seams a caller may replace (tests inject file-system faults into the durable log and journal). */
export interface LocalEngineOptions {
  logFs?: LogFs;
  journalFs?: JournalFs;
}

/**
 * The embedded stack: dynalite catalog, idempotency journal, durable log + lake + loader, DuckDB
 * warehouse per tenant.
 */
export async function composeLocal(
  config: Config,
  logger: Logger,
  adminKey: string,
  engines: LocalEngineOptions = {},
): Promise<LocalStack> {
  const dataDir = resolve(config.TRIBUTARY_DATA_DIR);
  const dynamo = await startDynalite(join(dataDir, 'catalog'));
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  await ensureTable(client, TABLE);
  // In-process writes invalidate at once; the TTL only matters for writes from elsewhere (none locally).
  const catalog = new CachedCatalog(new DynamoCatalog(client, TABLE), 60_000);
  const prometheus = new PromMetrics({ processMetrics: true });
  // Ingest, delivery and loader all count through the wrapper, so Prometheus sees what the minute counters see.
  const metrics = prometheus.instrument(new MinuteMetrics(new DynamoMetricsStore(client, TABLE)));
  const warehouse = new DuckDbWarehouse({
    dir: join(dataDir, 'warehouse'),
    logger: logger.child({ component: 'warehouse' }),
    memoryLimit: config.TRIBUTARY_DUCKDB_MEMORY_LIMIT,
    threads: config.TRIBUTARY_DUCKDB_THREADS,
  });
  // Opened before serving: the pending claims it replays are the crashed process's, taken over at once.
  // Before the delivery starts too: its recovery puts back the claims the log's entries carry.
  const idempotency = await LocalIdempotencyStore.open({
    dir: idempotencyDir(dataDir),
    logger: logger.child({ component: 'idempotency' }),
    now: Date.now,
    fs: engines.journalFs,
    claimsRideWithBatches: true,
    ...localIdempotencySettings(config),
  });
  const delivery = new LocalDelivery({
    dataDir,
    target: warehouse,
    getStream: (tenant, name) => catalog.getStream(tenant, name),
    metrics,
    logger: logger.child({ component: 'delivery' }),
    now: Date.now,
    logFs: engines.logFs ?? nodeLogFs,
    claims: idempotency,
    ...localDeliverySettings(config),
  });
  // A tenant database created again (removed, or corrupt and removed) reloads what the lake holds.
  warehouse.onDatabaseCreated((tenant) => {
    void delivery
      .refreshTenant(tenant)
      .catch((err: unknown) =>
        logger.error({ err, tenant }, 'reloading the lake into a new tenant database failed'),
      );
  });
  await delivery.start();
  prometheus.collectFrom({ catalog, delivery, now: () => new Date() });
  const alerts = new DynamoAlertStore(client, TABLE);
  const loadMonitor = loadMonitorSettings(config);
  const evaluator = new AlertEvaluator({
    loadMonitor,
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
  });
  evaluator.start();

  const services: Services = {
    catalog,
    idempotency,
    delivery,
    warehouse,
    metrics,
    alerts,
    webhooks: webhookPolicy(config),
    prometheus,
    logger,
    loadMonitor,
    now: () => new Date(),
    ingestSettings: ingestSettings(config),
    streamDefaults: streamDefaults(config),
    ingest: newIngestState(),
    adminKeyHash: hashSecret(adminKey),
  };

  const release = async () => {
    await evaluator.stop();
    await metrics.close().catch((err) => logger.warn({ err }, 'metrics flush failed'));
    await delivery.close();
    await idempotency.close();
    await warehouse.close();
    client.destroy();
    await dynamo.close();
  };
  return {
    services,
    dataDir,
    catalogEndpoint: dynamo.endpoint,
    drainAndClose: async () => {
      await delivery.drain();
      await release();
    },
    close: release,
  };
}
