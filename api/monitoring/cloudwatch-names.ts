import type { Counters } from '../ports.js';

/**
 * The CloudWatch metrics AWS mode emits (as EMF, api/monitoring/emf-metrics.ts) and the stack's alarms
 * read (infra/constructs/alarms.ts): one list, so a renamed metric cannot leave an alarm watching nothing.
 *
 * Every metric has the one dimension `service` = `tributary`. Tenant and stream are not dimensions: each
 * (tenant, stream) pair would be its own metric at $0.30 a month per metric name, so a thousand streams
 * would cost thousands a month. They ride along as properties of the EMF log line instead, where Logs
 * Insights can sum by them, and the per-stream minute counters in DynamoDB serve the UI and the API.
 */
export const CLOUDWATCH_NAMESPACE = 'Tributary';
export const CLOUDWATCH_SERVICE = 'tributary';

/** Counter → metric name and unit. */
export const COUNTER_METRICS: Record<keyof Counters, { name: string; unit: 'Count' | 'Bytes' }> = {
  received: { name: 'RecordsReceived', unit: 'Count' },
  accepted: { name: 'RecordsAccepted', unit: 'Count' },
  rejected: { name: 'RecordsRejected', unit: 'Count' },
  duplicates: { name: 'RecordsDuplicate', unit: 'Count' },
  // Firehose records (NDJSON-packed), not lake objects: Firehose decides how records become objects.
  deliveredObjects: { name: 'DeliveredRecords', unit: 'Count' },
  deliveredBytes: { name: 'DeliveredBytes', unit: 'Bytes' },
  loadedRows: { name: 'LoadedRows', unit: 'Count' },
  loadErrors: { name: 'LoadErrors', unit: 'Count' },
  loadFailed: { name: 'LoadFailedRecords', unit: 'Count' },
  cdcCreates: { name: 'ChangeEventsCreate', unit: 'Count' },
  cdcUpdates: { name: 'ChangeEventsUpdate', unit: 'Count' },
  cdcDeletes: { name: 'ChangeEventsDelete', unit: 'Count' },
  cdcReads: { name: 'ChangeEventsRead', unit: 'Count' },
  cdcTombstones: { name: 'ChangeEventsTombstone', unit: 'Count' },
};

/** Answers the functions gave, by the status classes an operator acts on. */
export const RESPONSE_METRICS = {
  /** 503: a dependency (Firehose, DynamoDB, Snowflake) failed; nothing was acknowledged, the caller retries. */
  unavailable: 'ResponsesUnavailable',
  /** 500: a bug or a misconfigured deployment (code `misconfigured`); retrying will not help. */
  serverError: 'ResponsesServerError',
  /** 429: the service shed load. */
  throttled: 'ResponsesThrottled',
} as const;
