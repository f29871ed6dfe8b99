import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { authenticate } from './domain/auth/authenticate.js';
import { requirePlatform, requireTenant } from './domain/auth/authorize.js';
import type { Ctx } from './domain/context.js';
import { InvalidInputError } from './domain/errors.js';
import { problem, toProblemResponse } from './http/problem.js';
import { readJsonBody } from './http/json-body.js';
import type { AnyRoute, AppEnv } from './http/route.js';
import { singleValuedQuery } from './http/query.js';
import { parseOrThrow } from './http/zod-errors.js';
import { requestLogger } from './monitoring/request-log.js';
import { buildOpenApi } from './openapi/document.js';
import { API_VERSION } from './openapi/version.js';
import { routes as defaultRoutes } from './routes/index.js';
import type { Services } from './services.js';

export interface AppOptions {
  routes?: AnyRoute[];
  /** Serves the built web UI (local mode); injected so app.ts stays runtime-neutral. */
  staticHandler?: MiddlewareHandler<AppEnv>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the Hono app from injected services. Starts nothing: server.ts and lambda.ts do that. */
export function createApp(services: Services, options: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const table = options.routes ?? defaultRoutes;
  let openapi: unknown;
  const document = () => (openapi ??= buildOpenApi(table, API_VERSION));

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('services', services);
    c.set('openapi', document);
    c.header('X-Request-Id', requestId);
    await next();
    c.res.headers.set('X-Request-Id', requestId);
  });
  if (services.prometheus) app.use('*', services.prometheus.middleware());
  app.use('*', requestLogger(services.logger));

  app.onError((err, c) => {
    const requestId = c.get('requestId') ?? randomUUID();
    const out = toProblemResponse(err, requestId);
    if (out.status >= 500) services.logger.error({ err, requestId, path: c.req.path }, 'request failed');
    else
      services.logger.debug(
        { requestId, path: c.req.path, code: (out.body as { code?: string }).code },
        'request rejected',
      );
    return new Response(JSON.stringify(out.body), {
      status: out.status,
      headers: { 'Content-Type': out.contentType, 'X-Request-Id': requestId, ...out.headers },
    });
  });

  for (const route of table) mount(app, route);

  if (options.staticHandler) app.use('*', options.staticHandler);

  app.notFound((c) => {
    const requestId = c.get('requestId');
    return c.json(
      problem(404, 'route_not_found', `No route for ${c.req.method} ${c.req.path}.`, requestId),
      404,
      {
        'Content-Type': 'application/problem+json',
      },
    );
  });

  return app;
}

function mount(app: Hono<AppEnv>, route: AnyRoute): void {
  const honoPath = route.path.replace(/\{(\w+)\}/g, ':$1');
  app.on(route.method.toUpperCase(), honoPath, async (c: Context<AppEnv>) => {
    const services = c.get('services');
    const principal =
      route.access.kind === 'public'
        ? undefined
        : await authenticate(services, c.req.header('authorization'));
    const ctx: Ctx = { services, principal, requestId: c.get('requestId') };
    c.set('ctx', ctx);
    const params = route.params ? parseOrThrow(route.params, c.req.param(), 'path') : undefined;
    // Refuse before reading a body; the domain verb checks again, so the declaration cannot widen access.
    authorizeEarly(ctx, route, params as Record<string, string> | undefined);
    const query = route.query
      ? parseOrThrow(route.query, singleValuedQuery(c.req.queries(), route.query), 'query')
      : undefined;
    let body: unknown;
    if (route.body) {
      body = parseOrThrow(route.body, await readJsonBody(c.req.raw), 'body');
    } else if (!route.rawBody && (c.req.header('content-length') ?? '0') !== '0' && route.method !== 'get') {
      throw new InvalidInputError(`${route.method.toUpperCase()} ${route.path} takes no request body.`);
    }
    return route.handler({ c, ctx, params, query, body });
  });
}

function authorizeEarly(ctx: Ctx, route: AnyRoute, params: Record<string, string> | undefined): void {
  const a = route.access;
  if (a.kind === 'platform') requirePlatform(ctx);
  if (a.kind === 'tenant' && params?.tenant) {
    if (a.orPlatform && ctx.principal?.kind === 'platform') return;
    requireTenant(ctx, params.tenant, a.action, a.stream ? params.stream : undefined);
  }
}
