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
