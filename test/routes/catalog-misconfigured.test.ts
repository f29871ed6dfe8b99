import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  catalogTableDefinition,
  createDynamoClient,
  DynamoCatalog,
  ensureTable,
  startDynalite,
  type EmbeddedDynamo,
} from '../../api/adapters/dynamodb/index.js';
import { createApp } from '../../api/app.js';
import { withContract } from '../support/contract.js';
import { ADMIN_KEY, startTestStack, type TestStack } from '../support/stack.js';

/**
 * The catalog table is deployed wrong: keyed by pk/sk but without the keys index (as the stack once was),
 * or not there at all. Those requests answer a problem+json 500 without Retry-After (retrying cannot
 * help), log the cause for the operator, and everything the table can still serve keeps working.
 */
let t: TestStack;
let dynamo: EmbeddedDynamo;
const logs: { level: number; msg: string; err?: { type: string; message: string }; code?: string }[] = [];

const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as never) });
const WITHOUT_INDEX = {
  ...catalogTableDefinition,
  attributeDefinitions: catalogTableDefinition.attributeDefinitions.filter((a) =>
    ['pk', 'sk'].includes(a.AttributeName!),
  ),
  globalSecondaryIndexes: [],
};

function appOn(table: string) {
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  return withContract(createApp({ ...t.stack.services, catalog: new DynamoCatalog(client, table), logger }));
}

async function call(
  app: ReturnType<typeof appOn>,
  method: string,
  path: string,
  key: string,
  body?: unknown,
) {
  return app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  t = await startTestStack();
  dynamo = await startDynalite(join(t.dir, 'misconfigured-catalog'));
  await ensureTable(createDynamoClient({ endpoint: dynamo.endpoint }), 'no-index', WITHOUT_INDEX);
});
afterAll(async () => {
  await dynamo?.close();
  await t?.close();
});

describe('a catalog table without the keys index', () => {
  it('still creates tenants (plain writes need no index)', async () => {
    const res = await call(appOn('no-index'), 'POST', '/v1/tenants', ADMIN_KEY, { name: 'acme' });
    expect(res.status).toBe(201);
  });

  it('answers a key listing with 500 misconfigured, no Retry-After, and logs the cause', async () => {
    const app = appOn('no-index');
    const tenant = await call(app, 'POST', '/v1/tenants', ADMIN_KEY, { name: 'globex' });
    const tenantKey = ((await tenant.json()) as { key: { secret: string } }).key.secret;
    logs.length = 0;
    const res = await call(app, 'GET', '/v1/tenants/globex/keys', tenantKey);
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 500, code: 'misconfigured' });
    expect(String(body.detail)).toMatch(/an operator must fix the deployment/);
    // The caller learns what kind of failure it is, not the table's internals or a stack.
    expect(JSON.stringify(body)).not.toMatch(/gsi1|\bat \w|\.ts:/);
    const line = logs.find((l) => l.msg === 'request failed');
    expect(line?.level).toBe(50);
    expect(line?.err?.type).toBe('MisconfiguredError');
    expect(line?.err?.message).toMatch(/The table does not have the specified index: gsi1/);
  });
});

describe('a catalog table that does not exist', () => {
  it('answers 500 misconfigured naming ResourceNotFoundException, not a retryable 503', async () => {
    logs.length = 0;
    const res = await call(appOn('absent'), 'GET', '/v1/tenants', ADMIN_KEY);
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toMatchObject({ code: 'misconfigured' });
    const line = logs.find((l) => l.msg === 'request failed');
    expect(line?.err?.message).toMatch(/ResourceNotFoundException/);
  });
});
