import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  SnowflakeWarehouse,
  connectSnowflake,
  snowflakeWarehouseFromConfig,
} from '../../../api/adapters/snowflake/index.js';
import { parseConfig } from '../../../api/config.js';
import { DependencyUnavailableError, InvalidInputError } from '../../../api/domain/errors.js';
import type { Stream } from '../../../api/domain/streams/types.js';
import { SnowflakeStub } from '../../support/snowflake-stub.js';
import {
  BAD_NAMES,
  cdcStream,
  config,
  ordersStream,
  plainStream,
  readGolden,
  renderStatements,
} from './fixtures.js';
import { silentLogger } from '../../support/logger.js';

/** Key generation is slow on this machine: one realistic pair, plus a small one where any mismatch will do. */
const keys = (modulusLength = 2048) =>
  generateKeyPairSync('rsa', {
    modulusLength,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });

const { privateKey, publicKey } = keys();

describe('SnowflakeWarehouse through snowflake-sdk', () => {
  let stub: SnowflakeStub;
  let warehouse: SnowflakeWarehouse;
  const tenantsConnected: string[] = [];

  beforeAll(async () => {
    stub = await SnowflakeStub.start({ publicKeyPem: publicKey });
  });
  afterAll(async () => {
    await stub.close();
  });
  const open = () => {
    warehouse = new SnowflakeWarehouse({
      config,
      logger: silentLogger,
      now: () => new Date('2026-11-27T10:00:00.000Z'),
      connect: (tenant) => {
        tenantsConnected.push(tenant);
        return connectSnowflake({
          account: 'tributary_test',
          username: 'svc_tributary',
          privateKey,
          accessUrl: stub.url,
          role: 'TRIBUTARY',
        });
      },
    });
  };
  afterEach(async () => {
    await warehouse?.close();
    stub.reset();
    tenantsConnected.length = 0;
  });

  it('createStream sends exactly the golden statements, in order, over one key-pair session', async () => {
    open();
    await warehouse.createStream(ordersStream());
    expect(renderStatements(stub.statements)).toBe(await readGolden('create'));
    const login = stub.logins.at(-1);
    expect(login).toMatchObject({
      account: 'tributary_test',
      authenticator: 'SNOWFLAKE_JWT',
      verified: true,
    });
    expect(tenantsConnected).toEqual(['acme']);
  });

  it('createStream of a cdc stream sends exactly its golden statements', async () => {
    open();
    await warehouse.createStream(cdcStream());
    expect(renderStatements(stub.statements)).toBe(await readGolden('create-cdc'));
  });

  it('preview of a cdc stream carries the op, source time, position and source block', async () => {
    open();
    stub.on(/^SELECT COUNT\(\*\) AS "TOTAL" FROM "TRIBUTARY"."ACME"."CUSTOMERS_ENTITY"$/, {
      columns: [{ name: 'TOTAL', type: 'fixed' }],
      rows: [['1']],
    });
    stub.on(/^SELECT "ID"/, {
      columns: [
        { name: 'ID', type: 'fixed' },
        { name: 'FIRST_NAME', type: 'text' },
        { name: 'EMAIL', type: 'text' },
        { name: '_EXTRA', type: 'variant' },
        { name: '_ID', type: 'text' },
        { name: '_BATCH_ID', type: 'text' },
        { name: '_RECEIVED_AT', type: 'text' },
        { name: '_SCHEMA_VERSION', type: 'fixed' },
        { name: '_OP', type: 'text' },
        { name: '_SOURCE_TS', type: 'text' },
        { name: '_SOURCE_POSITION', type: 'text' },
        { name: '_SOURCE', type: 'variant' },
      ],
      rows: [
        [
          '1004',
          'Anne',
          'annek@noanswer.org',
          null,
          'id-1',
          'b-1',
          '2026-11-27T10:00:00.000+00:00',
          '1',
          'u',
          '2026-11-27T09:59:59.000+00:00',
          '30000000000000000048400000000',
          '{"db":"inventory","table":"customers","server_id":223344,"gtid":null}',
        ],
      ],
    });
    const result = await warehouse.preview(cdcStream(), 'entity', 10);
    expect(result.records[0]).toMatchObject({
      id: 1004,
      _op: 'u',
      _source_ts: '2026-11-27T09:59:59.000Z',
      _source_position: '30000000000000000048400000000',
      _source: { db: 'inventory', table: 'customers', server_id: 223344, gtid: null },
    });
  });

  it('keeps one connection per tenant and closes them all', async () => {
    open();
    await warehouse.createStream(plainStream());
    await warehouse.createStream(plainStream({ name: 'returns' }));
    await warehouse.createStream(plainStream({ tenant: 'globex' }));
    expect(tenantsConnected).toEqual(['acme', 'globex']);
    expect(stub.openSessions).toBe(2);
    await warehouse.close();
    expect(stub.openSessions).toBe(0);
  });

  it('preview maps rows to records: typed fields, extras, metadata', async () => {
    open();
    stub.on(/^SELECT COUNT\(\*\) AS "TOTAL" FROM "TRIBUTARY"."ACME"."ORDERS_ENTITY"$/, {
      columns: [{ name: 'TOTAL', type: 'fixed' }],
      rows: [['42']],
    });
    stub.on(/^SELECT "ORDER_ID"/, {
      columns: [
        { name: 'ORDER_ID', type: 'text' },
        { name: 'CUSTOMER_ID', type: 'text' },
        { name: 'EMAIL', type: 'text' },
        { name: 'BIRTH_YEAR', type: 'fixed' },
        { name: 'STATUS', type: 'text' },
        { name: 'QUANTITY', type: 'fixed' },
        { name: 'AMOUNT', type: 'real' },
        { name: 'PAID', type: 'boolean' },
        { name: 'DELETED', type: 'boolean' },
        { name: 'PLACED_AT', type: 'text' },
        { name: 'SHIP_DATE', type: 'text' },
        { name: 'ATTRIBUTES', type: 'variant' },
        { name: 'UPDATED_AT', type: 'text' },
        { name: '_EXTRA', type: 'variant' },
        { name: '_ID', type: 'text' },
        { name: '_BATCH_ID', type: 'text' },
        { name: '_RECEIVED_AT', type: 'text' },
        { name: '_SCHEMA_VERSION', type: 'fixed' },
      ],
      rows: [
        [
          'o-2',
          'c-1',
          '***',
          null,
          'shipped',
          '3',
          '19.5',
          '1',
          null,
          '2026-11-26T12:00:00.000+01:00',
          '2026-11-28',
          '{"gift":true}',
          '2026-11-26T13:00:00.000+00:00',
          '{"note":"leave at door"}',
          'r-2',
          'b-2',
          '2026-11-26T12:00:01.250+00:00',
          '2',
        ],
        [
          'o-1',
          'c-1',
          '***',
          null,
          'placed',
          '1',
          '5',
          '0',
          '0',
          null,
          null,
          null,
          null,
          null,
          'r-1',
          'b-1',
          '2026-11-26T11:00:00.000+00:00',
          '1',
        ],
      ],
    });
    const result = await warehouse.preview(ordersStream(), 'entity', 2);
    expect(result.total).toBe(42);
    expect(result.records).toEqual([
      {
        order_id: 'o-2',
        customer_id: 'c-1',
        email: '***',
        birth_year: null,
        status: 'shipped',
        quantity: 3,
        amount: 19.5,
        paid: true,
        deleted: null,
        placed_at: '2026-11-26T12:00:00.000+01:00',
        ship_date: '2026-11-28',
        attributes: { gift: true },
        updated_at: '2026-11-26T13:00:00.000+00:00',
        note: 'leave at door',
        _id: 'r-2',
        _batch_id: 'b-2',
        _received_at: '2026-11-26T12:00:01.250Z',
        _schema_version: 2,
      },
      expect.objectContaining({
        order_id: 'o-1',
        paid: false,
        deleted: false,
        _id: 'r-1',
        _schema_version: 1,
      }),
    ]);
    expect(stub.statements[1]).toMatch(
      /FROM "TRIBUTARY"."ACME"."ORDERS_ENTITY"\nORDER BY "_BATCH_ID" DESC, "_INDEX" DESC\nLIMIT 2$/,
    );
  });

  it('rejections come from the quarantine table', async () => {
    open();
    stub.on(/COUNT\(\*\).*ORDERS_QUARANTINE/, { columns: [{ name: 'TOTAL', type: 'fixed' }], rows: [['1']] });
    stub.on(/^SELECT "RECORD", "ERRORS"/, {
      columns: [
        { name: 'RECORD', type: 'variant' },
        { name: 'ERRORS', type: 'variant' },
        { name: '_RECEIVED_AT', type: 'text' },
        { name: '_BATCH_ID', type: 'text' },
        { name: '_INDEX', type: 'fixed' },
      ],
      rows: [
        [
          '{"order_id":7}',
          '[{"path":"/order_id","message":"must be string"}]',
          '2026-11-26T12:00:00.000+00:00',
          'b-9',
          '4',
        ],
      ],
    });
    const result = await warehouse.rejections(ordersStream(), 10);
    expect(result).toEqual({
      total: 1,
      rejections: [
        {
          record: { order_id: 7 },
          errors: [{ path: '/order_id', message: 'must be string' }],
          reason: 'validation',
          receivedAt: '2026-11-26T12:00:00.000Z',
          batchId: 'b-9',
          index: 4,
        },
      ],
    });
  });

  it('loadHistory reads COPY_HISTORY for both pipes; loadedAt keeps loaded files only', async () => {
    open();
    stub.on('COPY_HISTORY', {
      columns: [
        'KIND',
        'FILE_NAME',
        'LAST_LOAD_TIME',
        'ROW_COUNT',
        'ROW_PARSED',
        'ERROR_COUNT',
        'FIRST_ERROR_MESSAGE',
        'STATUS',
      ].map((name) => ({
        name,
        type: name.endsWith('COUNT') || name === 'ROW_PARSED' ? ('fixed' as const) : ('text' as const),
      })),
      rows: [
        [
          'raw',
          'raw/tenant=acme/stream=orders/dt=2026-11-26/a.gz',
          '2026-11-26T12:01:00.000+00:00',
          '10',
          '10',
          '0',
          null,
          'Loaded',
        ],
        [
          'quarantine',
          'quarantine/tenant=acme/stream=orders/dt=2026-11-26/b.gz',
          '2026-11-26T12:02:00.000+00:00',
          '0',
          '3',
          '3',
          'Numeric value is not recognized',
          'Load failed',
        ],
      ],
    });
    const history = await warehouse.loadHistory('acme', 'orders');
    expect(history).toEqual([
      {
        kind: 'raw',
        file: 'raw/tenant=acme/stream=orders/dt=2026-11-26/a.gz',
        loadedAt: '2026-11-26T12:01:00.000Z',
        rows: 10,
        parsed: 10,
        errors: 0,
        status: 'Loaded',
      },
      {
        kind: 'quarantine',
        file: 'quarantine/tenant=acme/stream=orders/dt=2026-11-26/b.gz',
        loadedAt: '2026-11-26T12:02:00.000Z',
        rows: 0,
        parsed: 3,
        errors: 3,
        firstError: 'Numeric value is not recognized',
        status: 'Load failed',
      },
    ]);
    expect(stub.statements[0]).toContain(
      "START_TIME => GREATEST(TO_TIMESTAMP_LTZ('2026-11-26T10:00:00.000Z')",
    );
    const loaded = await warehouse.loadedAt('acme', 'orders', [
      'raw/tenant=acme/stream=orders/dt=2026-11-26/a.gz',
      'quarantine/tenant=acme/stream=orders/dt=2026-11-26/b.gz',
    ]);
    expect([...loaded]).toEqual([
      ['raw/tenant=acme/stream=orders/dt=2026-11-26/a.gz', '2026-11-26T12:01:00.000Z'],
    ]);
  });

  it('a SQL compilation error becomes InvalidInputError with the driver error as cause, and stops the run', async () => {
    open();
    stub.on('CREATE TABLE IF NOT EXISTS "TRIBUTARY"."ACME"."ORDERS_QUARANTINE"', {
      code: '002003',
      message: "SQL compilation error: Schema 'TRIBUTARY.ACME' does not exist or not authorized.",
      sqlState: '02000',
    });
    const err = await warehouse.createStream(ordersStream()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain('002003');
    expect((err as Error).cause).toMatchObject({ code: '002003', sqlState: '02000' });
    expect(stub.statements.at(-1)).toContain('ORDERS_QUARANTINE');
    expect(stub.statements).toHaveLength(5);
  });

  it('an unavailable warehouse or a missing privilege becomes DependencyUnavailableError', async () => {
    open();
    stub.on(
      /^SELECT COUNT/,
      { code: '000606', message: 'No active warehouse selected in the current session.', sqlState: '57P03' },
      1,
    );
    stub.on(
      /^SELECT COUNT/,
      { code: '003001', message: 'SQL access control error: Insufficient privileges.', sqlState: '42501' },
      1,
    );
    const first = await warehouse.preview(ordersStream(), 'raw', 1).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(DependencyUnavailableError);
    expect((first as Error).cause).toMatchObject({ code: '000606' });
    const second = await warehouse.preview(ordersStream(), 'raw', 1).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(DependencyUnavailableError);
  });

  it('a layer replaced to initialize on schedule answers DependencyUnavailableError until its first refresh', async () => {
    open();
    stub.on(/ORDERS_ENTITY/, {
      code: '002062',
      message:
        "Dynamic Table 'TRIBUTARY.ACME.ORDERS_ENTITY' is not initialized. Please run a manual refresh or wait for a scheduled refresh before querying.",
      sqlState: '02000',
    });
    const err = await warehouse.preview(ordersStream(), 'entity', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).retryAfterSeconds).toBe(60);
    expect((err as Error).cause).toMatchObject({ code: '002062' });
  });

  it('rejects injected names with InvalidInputError before anything reaches Snowflake', async () => {
    open();
    const streams: Stream[] = BAD_NAMES.flatMap((bad) => {
      const field = ordersStream();
      field.schema.properties[bad] = { type: 'string' };
      return [ordersStream({ tenant: bad }), ordersStream({ name: bad }), field];
    });
    for (const s of streams) {
      await expect(warehouse.createStream(s)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(warehouse.preview(s, 'raw', 10)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(warehouse.rejections(s, 10)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(warehouse.planEvolution(s, s)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(warehouse.evolveStream(ordersStream(), s)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(warehouse.loadHistory('a"; drop table x; --', 'orders')).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(stub.statements).toEqual([]);
    expect(stub.requests).toEqual([]);
  });
});

describe('connecting', () => {
  it('a login Snowflake refuses becomes DependencyUnavailableError, and the next call tries again', async () => {
    const stub = await SnowflakeStub.start({ publicKeyPem: keys(1024).publicKey });
    let attempts = 0;
    const warehouse = new SnowflakeWarehouse({
      config,
      logger: silentLogger,
      connect: () => {
        attempts += 1;
        return connectSnowflake({ account: 'a', username: 'u', privateKey, accessUrl: stub.url });
      },
    });
    try {
      const err = await warehouse.preview(ordersStream(), 'raw', 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DependencyUnavailableError);
      expect((err as Error).cause).toMatchObject({ code: '390144' });
      await expect(warehouse.preview(ordersStream(), 'raw', 1)).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(attempts).toBe(2);
      expect(stub.logins.map((l) => l.verified)).toEqual([false, false]);
      expect(stub.statements).toEqual([]);
    } finally {
      await warehouse.close();
      await stub.close();
    }
  });
});

describe('snowflakeWarehouseFromConfig', () => {
  it('needs the Snowflake settings in aws mode', () => {
    expect(() => snowflakeWarehouseFromConfig(parseConfig({}), { logger: silentLogger })).toThrow(
      InvalidInputError,
    );
  });

  it('refuses a target lag Snowflake would refuse before any statement runs', () => {
    expect(
      () =>
        new SnowflakeWarehouse({
          config: { ...config, targetLag: '30 seconds' },
          logger: silentLogger,
          connect: () => Promise.reject(new Error('never connects')),
        }),
    ).toThrow(/targetLag/);
  });

  it('connects with the configured key, account and access URL', async () => {
    const stub = await SnowflakeStub.start({ publicKeyPem: publicKey });
    const warehouse = snowflakeWarehouseFromConfig(
      parseConfig({
        SNOWFLAKE_ACCOUNT: 'acct',
        SNOWFLAKE_USER: 'svc',
        SNOWFLAKE_ROLE: 'tributary',
        SNOWFLAKE_WAREHOUSE: 'tributary_wh',
        SNOWFLAKE_DATABASE: 'tributary',
        SNOWFLAKE_ACCESS_URL: stub.url,
        SNOWFLAKE_PRIVATE_KEY: privateKey.replace(/\n/g, '\\n'),
        TRIBUTARY_S3_BUCKET: 'tributary-lake',
        TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION: 'tributary_lake',
      }),
      { logger: silentLogger },
    );
    try {
      await warehouse.createStream(ordersStream());
      expect(renderStatements(stub.statements)).toBe(await readGolden('create'));
      expect(stub.logins).toEqual([
        { account: 'acct', user: 'svc', authenticator: 'SNOWFLAKE_JWT', verified: true },
      ]);
    } finally {
      await warehouse.close();
      await stub.close();
    }
  });
});
