export {
  LocalDelivery,
  type LocalDeliveryDeps,
  type LocalDeliveryOptions,
  type LocalDeliverySettings,
} from './delivery.js';
export { nodeLogFs, type LogFile, type LogFs } from './log.js';
