import { Hono } from 'hono';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { requestLogger, type RequestLogEnv } from '../../api/monitoring/request-log.js';

interface Line {
  level: number;
  msg: string;
  requestId?: string;
  method?: string;
  route?: string;
  status?: number;
  ms?: number;
}

function makeApp(level: pino.Level) {
  const lines: Line[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  const app = new Hono<RequestLogEnv>();
  app.use('*', async (c, next) => {
    c.set('requestId', c.req.header('x-request-id') ?? 'generated');
    await next();
  });
  app.use('*', requestLogger(logger));
  app.get('/v1/tenants/:tenant/things/:id', (c) => {
    c.get('logger').info({ thing: c.req.param('id') }, 'handler says hi');
    return c.json({ ok: true });
  });
  app.post('/v1/broken', () => {
    throw new Error('kaput');
  });
  app.onError((_err, c) => c.json({ error: true }, 500));
  return { app, lines };
}

describe('requestLogger', () => {
  it('logs successes at debug with the requestId, route template, status and duration', async () => {
    const { app, lines } = makeApp('debug');
    const res = await app.request('/v1/tenants/acme/things/42', { headers: { 'x-request-id': 'req-1' } });
    expect(res.status).toBe(200);
    const [hi, line] = lines;
    expect(hi).toMatchObject({ level: 30, msg: 'handler says hi', requestId: 'req-1' });
    expect(line).toMatchObject({
      level: 20,
      msg: 'request',
      requestId: 'req-1',
      method: 'GET',
      route: '/v1/tenants/{tenant}/things/{id}',
      status: 200,
    });
    expect(typeof line.ms).toBe('number');
  });

  it('logs 4xx and 5xx at info, so an info-level production log shows only them', async () => {
    const { app, lines } = makeApp('info');
    await app.request('/v1/tenants/acme/things/1', { headers: { 'x-request-id': 'ok-1' } });
    await app.request('/nope', { headers: { 'x-request-id': 'miss-1' } });
    await app.request('/v1/broken', { method: 'POST', headers: { 'x-request-id': 'boom-1' } });
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.requestId, l.level, l.status, l.route])).toEqual([
      ['miss-1', 30, 404, 'unmatched'],
      ['boom-1', 30, 500, '/v1/broken'],
    ]);
  });
});
