// The alert types live in the domain and the AlertStore port in api/ports.ts. These re-exports keep
// older import paths compiling; new code imports from those homes.
export {
  ALERT_RULES,
  alertId,
  type Alert,
  type AlertRule,
  type AlertState,
} from '../domain/monitoring/types.js';
export type { AlertStore } from '../ports.js';
