import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { routeTemplate } from './route-template.js';

export interface RequestLogEnv {
  Variables: { requestId: string; logger: Logger };
}

/**
 * One JSON line per request (method, route template, status, ms) from a child logger that carries the
 * requestId, which handlers find as `c.get('logger')`. Failures log at info,
 * successes at debug, so a production level of info shows every refused or failed request and
 * nothing of the happy path; a line whose level is off is never built.
 * Register it after the middleware that sets `requestId`.
 */
export function requestLogger(logger: Logger): MiddlewareHandler<RequestLogEnv> {
  return async (c, next) => {
    const log = logger.child({ requestId: c.get('requestId') ?? randomUUID() });
    c.set('logger', log);
    const started = performance.now();
    try {
      await next();
    } finally {
      const status = c.res.status;
      const level = status >= 400 ? 'info' : 'debug';
      if (log.isLevelEnabled(level)) {
        log[level](
          {
            method: c.req.method,
            route: routeTemplate(routePath(c, -1)),
            status,
            ms: Math.round((performance.now() - started) * 10) / 10,
          },
          'request',
        );
      }
    }
  };
}
