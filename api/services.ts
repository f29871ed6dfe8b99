import type { Logger } from 'pino';
import type { WebhookPolicy } from './domain/monitoring/webhook-target.js';
import type { LoadMonitorSettings } from './domain/monitoring/load-state.js';
import type { RecentKeys } from './domain/records/recent-keys.js';
import type { IngestSettings } from './domain/records/types.js';
import type { StreamDefaults } from './domain/streams/types.js';
import type { ValidatorCache } from './domain/records/validators.js';
import type { AlertStore, WarehouseBindingProbe } from './ports.js';
import type { DefaultWarehouseAccount } from './domain/tenants/warehouse-binding.js';
import type { PromMetrics } from './monitoring/prometheus.js';
import type { Catalog, Delivery, IdempotencyStore, Metrics, Warehouse } from './ports.js';

/** Everything a handler may reach. Built by a composition root, never imported as a singleton. */
export interface Services {
  catalog: Catalog;
  idempotency: IdempotencyStore;
  delivery: Delivery;
  warehouse: Warehouse;
  metrics: Metrics;
  /** Freshness alerts: written by the AlertEvaluator, read by GET /v1/tenants/{tenant}/alerts. */
  alerts: AlertStore;
  /** Where tenant webhooks may point (checked when set, and again when sent). */
  webhooks: WebhookPolicy;
  /**
   * This app's Prometheus registry (GET /metrics): local mode only. On Lambda each container would count
   * only its own requests, so AWS mode has none and its metrics are CloudWatch's (EMF).
   */
  prometheus?: PromMetrics;
  logger: Logger;
  /** When a stream's loading counts as stuck (stream metrics, /ready, the load_stuck alert). */
  loadMonitor: LoadMonitorSettings;
  /** Injected so tests can move time. */
  now: () => Date;
  /** Body limits and concurrency of the ingest verb. */
  ingestSettings: IngestSettings;
  /** What a new stream's spec takes for the hints it leaves out. */
  streamDefaults: StreamDefaults;
  /** Hot-path state of the ingest verb, owned by the composition root. */
  ingest: {
    nextBatchId: () => string;
    recentKeys: RecentKeys;
    validators: ValidatorCache;
    inFlight: { count: number };
  };
  /**
   * Snowflake accounts per tenant (AWS mode): the shared account unbound tenants use, and the check a
   * binding passes before it is saved. Absent in local mode, where every tenant has its own DuckDB file.
   */
  warehouseAccounts?: { shared: DefaultWarehouseAccount; probe: WarehouseBindingProbe };
  /** Hash of the platform admin key (sha256 hex). */
  adminKeyHash: string;
}
