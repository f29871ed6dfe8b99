import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCursorStore } from '../../../api/adapters/dynamodb/cursor-store.js';
import { DynamoCatalog, DynamoMetricsStore } from '../../../api/adapters/dynamodb/index.js';
import { DynamoReceiptStore } from '../../../api/adapters/firehose/dynamo-receipt-store.js';
import {
  SecretsManagerReader,
  createSecretsManagerClient,
} from '../../../api/adapters/secrets/secrets-manager.js';
import {
  SnowflakeWarehouse,
  bindingTarget,
  connectSnowflake,
} from '../../../api/adapters/snowflake/index.js';
import type { SnowflakeSqlConfig } from '../../../api/adapters/snowflake/index.js';
import type { WarehouseBinding } from '../../../api/domain/tenants/warehouse-binding.js';
import { LoadHistoryPoller } from '../../../api/monitoring/load-history-poller.js';
import { MinuteMetrics } from '../../../api/monitoring/minute-metrics.js';
import { useDynalite } from '../../support/dynalite.js';
import { silentLogger } from '../../support/logger.js';
import { startSecretsManagerStub, type SecretsManagerStub } from '../../support/secrets-manager-stub.js';
import { SnowflakeStub } from '../../support/snowflake-stub.js';
import { SnowpipeModel } from '../../support/snowpipe-model.js';
import { config, evolved, expectGolden, ordersStream } from './fixtures.js';

/**
 * What Snowpipe does after a stream is created, for a tenant bound to its own account: the raw pipe's
 * replacement (pause, SYSTEM$PIPE_STATUS, catch-up by REFRESH) and the minute tick (COPY_HISTORY, the raw
 * rows of loaded files for receipts). The stub plays two accounts and the model plays the stage and pipe;
 * every statement must reach the tenant's account, none the shared one.
 */
const keyPair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
const sharedKey = keyPair();
const globexKey = keyPair();

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:tributary-lake-events';
const shared: SnowflakeSqlConfig = { ...config, lakeEventsTopicArn: TOPIC };
const TABLE = 'tenant_loads';
const P = 'raw/tenant=globex/stream=orders/';
const file = (hour: string, name: string) => `${P}dt=2026-11-27/hour=${hour}/orders-1-${name}`;
const line = (batch: string, index: number) =>
  JSON.stringify({ _batch_id: batch, _index: index, record: {} });

const client = useDynalite(TABLE);
let snowflake: SnowflakeStub;
let secrets: SecretsManagerStub;
let sm: ReturnType<typeof createSecretsManagerClient>;
let binding: WarehouseBinding;
let warehouse: SnowflakeWarehouse | undefined;
let clock: number;
let model: SnowpipeModel;

beforeAll(async () => {
  snowflake = await SnowflakeStub.start({
    accounts: { shared_acct: sharedKey.publicKey, globex_acct: globexKey.publicKey },
  });
  secrets = await startSecretsManagerStub({ allowedPrefix: 'tributary/tenants/' });
  sm = createSecretsManagerClient({
    region: 'us-east-1',
    endpoint: secrets.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  binding = {
    tenant: 'globex',
    account: 'globex_acct',
    user: 'GLOBEX_TRIBUTARY',
    role: 'GLOBEX_LOADER',
    warehouse: 'GLOBEX_WH',
    database: 'GLOBEX',
    privateKeySecretArn: secrets.put(
      'tributary/tenants/globex',
      JSON.stringify({ privateKey: globexKey.privateKey }),
    ),
    storageIntegration: 'GLOBEX_LAKE',
    currentAccount: 'GLOBEX_ACCT',
    boundAt: '2026-11-26T00:00:00.000Z',
  };
});
afterAll(async () => {
  sm.destroy();
  await snowflake.close();
  await secrets.close();
});
afterEach(async () => {
  await warehouse?.close();
  warehouse = undefined;
  snowflake.reset();
});

/** The warehouse with globex bound to its own account, and a model of globex's stage and raw pipe. */
function open(): SnowflakeWarehouse {
  clock = Date.parse('2026-11-27T09:30:00.000Z');
  model = new SnowpipeModel({
    bucket: config.bucket,
    now: () => new Date(clock).toISOString(),
    rawPipePath: P,
  });
  model.install(snowflake);
  const reader = new SecretsManagerReader(sm);
  warehouse = new SnowflakeWarehouse({
    config: shared,
    logger: silentLogger,
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
    connect: () =>
      connectSnowflake({
        account: 'shared_acct',
        username: 'TRIBUTARY',
        privateKey: sharedKey.privateKey,
        accessUrl: snowflake.url,
      }),
    targetOf: async (tenant) =>
      tenant === 'globex'
        ? bindingTarget(binding, shared, { secrets: reader, tenantAccessUrl: snowflake.url })
        : undefined,
  });
  return warehouse;
}

describe('a bound tenant’s Snowpipe work runs in its own account', () => {
  it('replaces the raw pipe there: pause, drain, new pipe on the topic, catch-up of the missed file', async () => {
    const w = open();
    const from = ordersStream({ tenant: 'globex' });
    const to = evolved(from, (s) => {
      s.properties.coupon = { type: 'string' };
    });
    const loaded = file('09', '2026-11-27-09-10-00-a');
    const missed = file('09', '2026-11-27-09-29-58-b');
    model.put(loaded, [line('B1', 0)], '2026-11-27T09:10:30.000Z');
    model.put(missed, [line('B2', 0)], '2026-11-27T09:29:59.000Z');
    model.load(loaded, '2026-11-27T09:11:00.000Z');
    model.pipeStatuses(
      { executionState: 'RUNNING', pendingFileCount: 1 },
      { executionState: 'PAUSED', pendingFileCount: 0 },
    );

    await w.evolveStream(from, to);

    expect(model.pipe).toBe(1);
    expect(model.refreshes).toEqual(['dt=2026-11-27/hour=09/orders-1-2026-11-27-09-29-58-b']);
    expect(snowflake.statementsOf('shared_acct')).toEqual([]);
    const sql = snowflake.statementsOf('globex_acct');
    expect(sql).toEqual(snowflake.statements);
    await expectGolden('two-accounts-evolve-tenant', sql);
    expect(sql).toContain(`SELECT SYSTEM$PIPE_STATUS('"GLOBEX"."GLOBEX"."ORDERS_RAW_PIPE"') AS "STATUS"`);
    expect(sql.some((q) => q.startsWith(`LIST '@"GLOBEX"."GLOBEX"."_LAKE"/${P}`))).toBe(true);
    expect(
      sql.filter((q) => q.includes('COPY_HISTORY')).every((q) => q.includes('"GLOBEX".INFORMATION_SCHEMA')),
    ).toBe(true);
    const replaced = sql.find((q) => q.startsWith('CREATE OR REPLACE PIPE'));
    expect(replaced).toMatch(/^CREATE OR REPLACE PIPE "GLOBEX"\."GLOBEX"\."ORDERS_RAW_PIPE"/);
    expect(replaced).toContain(`AWS_SNS_TOPIC = '${TOPIC}'`);
    expect(sql.join('\n')).not.toContain('"TRIBUTARY"');
    // The whole plan ran on one session: the account it was planned for, from pause to catch-up.
    expect(snowflake.logins.map((l) => l.account)).toEqual(['globex_acct']);
  });

  it('the tick reads COPY_HISTORY and the loaded files’ batches there, and marks the receipts', async () => {
    const catalog = new DynamoCatalog(client(), TABLE);
    await catalog.createTenant({ name: 'globex', createdAt: '2026-11-26T00:00:00.000Z' });
    const stream = ordersStream({ tenant: 'globex', createdAt: '2026-11-27T08:00:00.000Z' });
    await catalog.createStream(stream, {
      version: 1,
      schema: stream.schema,
      createdAt: stream.createdAt,
      changes: [],
    });
    const receipts = new DynamoReceiptStore({ client: client(), tableName: TABLE });
    const receipt = (batchId: string, accepted: number) =>
      receipts.put({
        tenant: 'globex',
        stream: 'orders',
        batchId,
        receivedAt: '2026-11-27T09:00:00.000Z',
        deliveredAt: '2026-11-27T09:00:01.000Z',
        accepted,
        rejected: 0,
        recordIds: ['r'],
      });
    await Promise.all([receipt('B1', 2), receipt('B2', 1), receipt('B3', 1)]);
    const w = open();
    const f1 = file('09', '2026-11-27-09-01-00-a');
    const f2 = file('09', '2026-11-27-09-02-00-b');
    model.put(f1, [line('B1', 0), line('B1', 1), line('B2', 0)]);
    model.put(f2, [line('B3', 0)]);
    model.load(f1, '2026-11-27T09:03:00.000Z');
    model.load(f2, '2026-11-27T09:04:00.000Z', 'Load failed');
    const poller = new LoadHistoryPoller({
      catalog,
      source: async () => w,
      metrics: new MinuteMetrics(new DynamoMetricsStore(client(), TABLE), Date.now, 0),
      cursors: new DynamoCursorStore(client(), TABLE),
      logger: silentLogger,
      receipts,
      now: () => new Date(clock),
    });

    expect(await poller.poll()).toMatchObject({ streams: 1, loads: 1, failures: 1, receipts: 2 });

    const loadedAt = async (b: string) => (await receipts.get('globex', 'orders', b))?.loadedAt;
    expect(await Promise.all(['B1', 'B2', 'B3'].map(loadedAt))).toEqual([
      '2026-11-27T09:03:00.000Z',
      '2026-11-27T09:03:00.000Z',
      undefined,
    ]);
    expect(snowflake.statementsOf('shared_acct')).toEqual([]);
    const sql = snowflake.statementsOf('globex_acct');
    expect(sql.filter((q) => q.includes('COPY_HISTORY'))).toEqual([
      expect.stringContaining(
        `FROM TABLE("GLOBEX".INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => '"GLOBEX"."GLOBEX"."ORDERS_RAW"'`,
      ),
    ]);
    const batches = sql.filter((q) => q.startsWith('WITH "FRESH" AS'));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toContain('FROM "GLOBEX"."GLOBEX"."ORDERS_RAW"');
    expect(batches[0]).toContain(`'${f1}'`);
    expect(batches[0]).not.toContain(`'${f2}'`);
  });
});
