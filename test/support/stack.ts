import { createApp } from '../../api/app.js';
import { composeLocal, type LocalEngineOptions, type LocalStack } from '../../api/compose/local.js';
import { parseConfig, type Config } from '../../api/config.js';
import { withContract } from './contract.js';
import { silentLogger } from './logger.js';
import { removeDir, tempDir } from './temp-dir.js';

export const ADMIN_KEY = 'test-platform-admin-key-0123456789abcdef';

export interface TestStack {
  stack: LocalStack;
  app: ReturnType<typeof createApp>;
  dir: string;
  config: Config;
  /** Calls the app in-process, like a client would over HTTP; every answer is checked against openapi.yaml. */
  call(
    method: string,
    path: string,
    opts?: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: BodyInit },
  ): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The real embedded stack (dynalite, durable log, lake, DuckDB) in a temp dir, or in `opts.dir`, which
 * the caller owns (to start a stack again on the same data), with engines swapped for faulty ones.
 */
export async function startTestStack(
  env: Record<string, string> = {},
  opts: { dir?: string; engines?: LocalEngineOptions } = {},
): Promise<TestStack> {
  const dir = opts.dir ?? (await tempDir());
  const config = parseConfig({
    TRIBUTARY_DATA_DIR: dir,
    TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.2',
    ...env,
  });
  const stack = await composeLocal(config, silentLogger, ADMIN_KEY, opts.engines);
  const app = withContract(createApp(stack.services));
  const call: TestStack['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: BodyInit | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    return app.request(path, { method, headers, body });
  };
  return {
    stack,
    app,
    dir,
    config,
    call,
    close: async () => {
      await stack.close();
      if (!opts.dir) await removeDir(dir);
    },
  };
}

/** Creates a tenant and returns its admin key secret. */
export async function createTenant(t: TestStack, name: string): Promise<string> {
  const res = await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name } });
  if (res.status !== 201) throw new Error(`createTenant ${name}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { key: { secret: string } };
  return body.key.secret;
}

export async function createKey(
  t: TestStack,
  tenant: string,
  adminKey: string,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await t.call('POST', `/v1/tenants/${tenant}/keys`, { key: adminKey, body });
  if (res.status !== 201) throw new Error(`createKey: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { secret: string }).secret;
}

export const ordersSchema = {
  type: 'object',
  properties: {
    order_id: { type: 'string' },
    customer: { type: 'string' },
    email: { type: 'string', format: 'email' },
    amount: { type: 'integer', minimum: 0 },
    status: { type: 'string', enum: ['new', 'paid', 'shipped'] },
    updated_at: { type: 'string', format: 'date-time' },
    deleted: { type: 'boolean' },
  },
  required: ['order_id', 'amount'],
};

export async function createStream(
  t: TestStack,
  tenant: string,
  adminKey: string,
  body: Record<string, unknown>,
): Promise<Response> {
  return t.call('POST', `/v1/tenants/${tenant}/streams`, { key: adminKey, body });
}
