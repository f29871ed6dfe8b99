export { LocalDelivery, type LocalDeliveryOptions } from './delivery.js';
export type { LogFile, LogFs } from './log.js';
