import type { Config } from '../config.js';
import { DEFAULT_LOAD_MONITOR, type LoadMonitorSettings } from '../domain/monitoring/load-state.js';

/** The domain's load-monitoring settings from the parsed environment. */
export function loadMonitorSettings(config: Config): LoadMonitorSettings {
  return { ...DEFAULT_LOAD_MONITOR, maxUnloadedAgeSeconds: config.TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS };
}
