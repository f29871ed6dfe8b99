import './process-env.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import pino from 'pino';
import { createApp } from './app.js';
import { loadOrCreateAdminKey } from './compose/admin-key.js';
import { composeLocal } from './compose/local.js';
import { ConfigError, parseConfig } from './config.js';

/** Node entry: the embedded stack on one process. Wires and serves; all behaviour lives in app.ts. */
async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  if (config.TRIBUTARY_MODE !== 'local') {
    console.error(
      'api/server.ts runs the embedded stack (TRIBUTARY_MODE=local); AWS mode runs api/lambda.ts.',
    );
    process.exit(2);
  }
  const logger = pino({ level: config.TRIBUTARY_LOG_LEVEL, base: { service: 'tributary' } });
  const dataDir = resolve(config.TRIBUTARY_DATA_DIR);
  const admin = loadOrCreateAdminKey(dataDir, config.TRIBUTARY_ADMIN_KEY);
  const stack = await composeLocal(config, logger, admin.key);

  const webDist = resolve('web/dist');
  const app = createApp(stack.services, {
    staticHandler: existsSync(webDist) ? serveStatic({ root: 'web/dist' }) : undefined,
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) => {
    const url = `http://localhost:${info.port}`;
    const lines = [
      `Tributary is running on ${url}`,
      `  web UI:      ${url}/   API docs: ${url}/docs`,
      `  data dir:    ${dataDir} (catalog/, log/, lake/, warehouse/<tenant>.duckdb)`,
      admin.created
        ? `  admin key:   ${admin.key}\n               (shown once; saved with mode 0600 at ${admin.path})`
        : admin.path
          ? `  admin key:   in ${admin.path}`
          : '  admin key:   from TRIBUTARY_ADMIN_KEY',
      `  try:         curl -H "Authorization: Bearer <admin key>" ${url}/v1/tenants`,
    ];
    console.log(lines.join('\n'));
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining buffers and loading everything acknowledged');
    const deadline = setTimeout(() => {
      logger.error('shutdown timed out; the log keeps everything acknowledged for the next start');
      process.exit(1);
    }, config.TRIBUTARY_SHUTDOWN_TIMEOUT_SECONDS * 1000);
    deadline.unref();
    const closed = new Promise<void>((r) => server.close(() => r()));
    if ('closeIdleConnections' in server) server.closeIdleConnections();
    await closed;
    await stack.drainAndClose();
    logger.info('shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main();
