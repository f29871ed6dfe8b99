export { SnowflakeWarehouse } from './warehouse.js';
export type { LoadHistoryEntry, SnowflakeWarehouseOptions } from './warehouse.js';
export {
  secretReaderFromConfig,
  snowflakeBindingProbeFromConfig,
  snowflakeWarehouseFromConfig,
} from './from-config.js';
export type { SnowflakeFromConfigOptions } from './from-config.js';
export { connectSnowflake, resolvePrivateKey } from './connection.js';
export type { Row, SnowflakeConnectOptions, SnowflakeConnectionLike } from './connection.js';
export { toDomainError } from './errors.js';
export { ConnectionPool } from './connection-pool.js';
export { PROBE_SQL, SnowflakeBindingProbe, bindingConfig, bindingTarget } from './tenant-accounts.js';
export type { TenantAccountOptions, TenantTarget } from './tenant-accounts.js';
export { DEFAULT_TARGET_LAG, lakePrefix, streamObjects, tenantObjects } from './names.js';
export type { SnowflakeSqlConfig, StreamObjects, TenantObjects } from './names.js';
export {
  createStreamSql,
  grantsSql,
  layersSql,
  maskingPolicySql,
  maskingSql,
  validateStream,
} from './sql.js';
export { evolveStreamPlan, evolveStreamSql, renderPlan } from './evolution.js';
export type { EvolutionStep } from './evolution.js';
export { CATCH_UP_WINDOW_MS, MAX_FILE_REFRESHES } from './pipe-replacement.js';
export { copyHistorySql, countSql, previewSql, rejectionsCountSql, rejectionsSql } from './queries.js';
