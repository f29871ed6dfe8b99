export {
  LocalDelivery,
  type LocalDeliveryDeps,
  type LocalDeliveryOptions,
  type LocalDeliverySettings,
} from './delivery.js';
export { nodeLogFs, type LogFile, type LogFs } from './log.js';
export {
  LocalIdempotencyStore,
  idempotencyDir,
  type LocalIdempotencyOptions,
  type LocalIdempotencySettings,
} from './idempotency-store.js';
export { nodeJournalFs, type JournalFile, type JournalFs } from './idempotency-journal.js';
