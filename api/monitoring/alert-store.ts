export type AlertRule = 'silence' | 'load_delay' | 'reconciliation' | 'load_errors' | 'load_stuck';
export type AlertState = 'firing' | 'resolved';

export const ALERT_RULES: readonly AlertRule[] = [
  'silence',
  'load_delay',
  'reconciliation',
  'load_errors',
  'load_stuck',
];

/**
 * One episode of one rule on one stream: created firing, later resolved, never reopened. The id is
 * `<stream>.<rule>.<firedAtMs>`, so a webhook receiver can correlate the firing and resolved notifications.
 */
export interface Alert {
  id: string;
  tenant: string;
  stream: string;
  rule: AlertRule;
  state: AlertState;
  message: string;
  firedAt: string;
  resolvedAt?: string;
  /** The last state a webhook receiver acknowledged; undefined when it was never told. */
  lastNotifiedState?: AlertState;
}

export const alertId = (stream: string, rule: AlertRule, firedAt: string): string =>
  `${stream}.${rule}.${Date.parse(firedAt)}`;

/** Where alerts live. Single-item conditional writes only (dynalite has no transactions). */
export interface AlertStore {
  /**
   * Opens an episode. False when (stream, rule) already has a firing alert: at most one fires at a
   * time, even with several evaluators racing.
   */
  open(alert: Alert): Promise<boolean>;
  /** Marks a firing alert resolved. False when it was not firing (already resolved, or unknown). */
  resolve(alert: Alert & { resolvedAt: string }): Promise<boolean>;
  /** Records what the webhook receiver was told; independent of resolve so the two never overwrite each other. */
  markNotified(tenant: string, id: string, state: AlertState): Promise<void>;
  /** Every alert of the tenant, newest first. */
  list(tenant: string, filter?: { state?: AlertState }): Promise<Alert[]>;
  /** What an evaluator needs: firing alerts, and resolved ones whose receiver was last told "firing". */
  active(tenant: string): Promise<Alert[]>;
}
