import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import pino from 'pino';
import { createApp } from './app.js';
import { composeAws } from './compose/aws.js';
import { parseConfig } from './config.js';

/**
 * Lambda entry behind an ALB. Both functions (ingest and control plane) run this same bundle; the
 * Snowflake adapter is imported lazily, so the ingest function never loads it.
 */
const config = parseConfig(process.env);
const logger = pino({ level: config.TRIBUTARY_LOG_LEVEL, base: { service: 'tributary' } });
const { services, cloudwatch, tick, checkCatalogTable } = composeAws(config, logger);
const served = handle(createApp(services));
let tableCheck: ReturnType<typeof checkCatalogTable> | undefined;

/**
 * The cold-start check of the catalog table, run once per container. It starts with the first invocation,
 * not at import (importing the bundle contacts nothing), runs beside it, and that invocation waits for it
 * before returning, so the log line is written before the container freezes: at most one DescribeTable.
 */
export function catalogTableCheck(): ReturnType<typeof checkCatalogTable> {
  return (tableCheck ??= checkCatalogTable());
}

/** The invocation's CloudWatch metrics, as EMF lines on stdout; a failure must not fail the invocation. */
function publishMetrics(): void {
  try {
    cloudwatch.publish();
  } catch (err) {
    logger.warn({ err }, 'publishing CloudWatch metrics failed');
  }
}

/** EventBridge's scheduled events (see infra: every minute) run the monitoring tick instead of HTTP. */
interface ScheduledEvent {
  source: 'aws.events';
  'detail-type': 'Scheduled Event';
}

function isScheduled(event: unknown): event is ScheduledEvent {
  return (event as Partial<ScheduledEvent>)?.['detail-type'] === 'Scheduled Event';
}

export async function handler(event: ALBEvent, context: Context): Promise<ALBResult>;
export async function handler(
  event: ScheduledEvent,
  context: Context,
): Promise<{ tick: Awaited<ReturnType<typeof tick>> }>;
export async function handler(
  event: ALBEvent | ScheduledEvent,
  context: Context,
): Promise<ALBResult | { tick: unknown }> {
  const checked = catalogTableCheck();
  if (isScheduled(event)) {
    try {
      const result = await tick();
      logger.info({ tick: result }, 'monitoring tick');
      return { tick: result };
    } finally {
      publishMetrics();
      await checked;
    }
  }
  try {
    // hono's LambdaEvent union describes ALB events with its own (narrower) types.
    const result = (await served(event as unknown as Parameters<typeof served>[0], context)) as ALBResult;
    cloudwatch.countResponse(result.statusCode);
    return result;
  } finally {
    // One UpdateItem per stream-minute touched by this invocation; a failure only delays counters.
    await services.metrics.flush().catch((err: unknown) => logger.warn({ err }, 'metrics flush failed'));
    publishMetrics();
    await checked;
  }
}
