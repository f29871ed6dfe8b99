export { DynamoCatalog } from './catalog.js';
export { DynamoIdempotencyStore } from './idempotency.js';
export { DynamoMetricsStore } from './metrics-store.js';
export { ensureTable } from './table.js';
export { catalogTableDefinition, KEYS_INDEX, type TableDefinition } from './table-definition.js';
export { startDynalite, type EmbeddedDynamo } from './dynalite.js';
export { createDynamoClient } from './client.js';
