import { describe, expect, it } from 'vitest';
import {
  createStreamSql,
  evolveStreamSql,
  grantsSql,
  layersSql,
  maskingSql,
  previewSql,
  copyHistorySql,
} from '../../../api/adapters/snowflake/index.js';
import { lit } from '../../../api/adapters/snowflake/identifiers.js';
import { batchesInFilesSql } from '../../../api/adapters/snowflake/queries.js';
import { InvalidInputError, SchemaIncompatibleError } from '../../../api/domain/errors.js';
import type { Stream } from '../../../api/domain/streams/types.js';
import {
  BAD_NAMES,
  cdcStream,
  config,
  evolved,
  expectGolden,
  ordersStream,
  plainStream,
} from './fixtures.js';

describe('Snowflake DDL (golden)', () => {
  it('creates a stream with dedupe, entity, clustering and PII', async () => {
    await expectGolden('create', createStreamSql(ordersStream(), config));
  });

  it('creates a stream without any options', async () => {
    await expectGolden('create-plain', createStreamSql(plainStream(), config));
  });

  it('creates a cdc stream: change columns, dedupe on key and position, entity in source order', async () => {
    const sql = createStreamSql(cdcStream(), config);
    await expectGolden('create-cdc', sql);
    const entity = sql.find((x) => x.includes('CUSTOMERS_ENTITY') && x.includes('DYNAMIC TABLE'))!;
    expect(entity).toContain(
      `ORDER BY "_SOURCE_POSITION" DESC NULLS LAST, CASE WHEN "_OP" = 'r' THEN 0 ELSE 1 END DESC, "_SOURCE_TS" DESC NULLS LAST, "_BATCH_ID" DESC, "_INDEX" DESC`,
    );
    expect(entity).toContain(`WHERE "_OP" <> 'd'`);
  });

  it('previews a cdc stream with its change columns, the position as text', () => {
    expect(previewSql(cdcStream(), 'entity', 10, config)).toContain(
      '"_OP", TO_VARCHAR("_SOURCE_TS", \'YYYY-MM-DD"T"HH24:MI:SS.FF3TZH:TZM\') AS "_SOURCE_TS", TO_VARCHAR("_SOURCE_POSITION") AS "_SOURCE_POSITION", "_SOURCE"',
    );
  });

  it('builds the deduped and entity layers as dynamic tables', async () => {
    await expectGolden('layers', layersSql(ordersStream(), config, 'create'));
  });

  it('masks PII columns and grants read access', async () => {
    await expectGolden('masking', maskingSql(ordersStream(), config));
    await expectGolden('grants', grantsSql(ordersStream(), config));
  });

  it('adds an optional property: column, pipe replaced the documented way, layers rebuilt', async () => {
    const from = ordersStream();
    const to = evolved(from, (s) => {
      s.properties.coupon = { type: 'string' };
    });
    await expectGolden('evolve-add-optional', evolveStreamSql(from, to, config));
  });

  it('adds a PII column masked from birth, and masks every PII change before the pipe is replaced', async () => {
    const from = plainStream();
    const to = {
      ...evolved(from, (s) => {
        s.properties.phone = { type: 'string' };
      }),
      piiFields: ['phone', 'kind'],
    };
    const sql = evolveStreamSql(from, to, config);
    await expectGolden('evolve-add-pii', sql);
    const pipe = sql.findIndex((x) => x.startsWith('CREATE OR REPLACE PIPE'));
    expect(sql.findIndex((x) => x.includes('CREATE MASKING POLICY IF NOT EXISTS'))).toBeLessThan(pipe);
    expect(sql).toContain(
      'ALTER TABLE "TRIBUTARY"."ACME"."EVENTS_RAW" ADD COLUMN IF NOT EXISTS "PHONE" VARCHAR WITH MASKING POLICY "TRIBUTARY"."ACME"."_PII_MASK_VARCHAR"',
    );
    for (const c of ['PHONE', 'KIND']) {
      const set = sql.findIndex((x) => x.includes(`MODIFY COLUMN "${c}" SET MASKING POLICY`));
      expect(set, c).toBeGreaterThan(0);
      expect(set, c).toBeLessThan(pipe);
    }
  });

  it('widens integer to number by swapping in a FLOAT copy of the column', async () => {
    const from = ordersStream();
    const to = evolved(from, (s) => {
      s.properties.quantity = { type: 'number' };
    });
    await expectGolden('evolve-widen-integer', evolveStreamSql(from, to, config));
  });

  it('needs no DDL to drop a field from required, add an enum value or remove a property', async () => {
    const from = ordersStream();
    const dropRequired = evolved(from, (s) => {
      s.required = ['order_id'];
    });
    const addEnum = evolved(from, (s) => {
      s.properties.status = { type: 'string', enum: ['placed', 'shipped', 'returned'] };
    });
    const removed = evolved(from, (s) => {
      delete s.properties.paid;
    });
    await expectGolden('evolve-drop-required', evolveStreamSql(from, dropRequired, config));
    await expectGolden('evolve-add-enum-value', evolveStreamSql(from, addEnum, config));
    await expectGolden('evolve-remove-property', evolveStreamSql(from, removed, config));
    expect(evolveStreamSql(from, removed, config)).toEqual([]);
  });
});

describe('Snowflake DDL rules', () => {
  it('gives every stream its own lake prefix with a trailing slash, the location quoted for its `=`', () => {
    const a = createStreamSql(plainStream({ name: 'a' }), config).join('\n');
    const ab = createStreamSql(plainStream({ name: 'ab' }), config).join('\n');
    expect(a).toContain(`FROM '@"TRIBUTARY"."ACME"."_LAKE"/raw/tenant=acme/stream=a/'\n`);
    expect(a).toContain(`FROM '@"TRIBUTARY"."ACME"."_LAKE"/quarantine/tenant=acme/stream=a/'\n`);
    expect(a).not.toContain('stream=ab');
    expect(ab).toContain(`/raw/tenant=acme/stream=ab/'\n`);
  });

  it('never copies into a pipe target by hand', () => {
    const from = ordersStream();
    const statements = [
      ...createStreamSql(from, config),
      ...evolveStreamSql(
        from,
        evolved(from, (s) => {
          s.properties.quantity = { type: 'number' };
          s.properties.coupon = { type: 'string' };
        }),
        config,
      ),
    ];
    expect(statements.filter((s) => /^\s*COPY INTO/i.test(s))).toEqual([]);
    for (const s of statements.filter((x) => /COPY INTO/.test(x))) {
      expect(s).toMatch(/^CREATE (OR REPLACE )?PIPE (IF NOT EXISTS )?/);
      expect(s).toContain("ON_ERROR = 'SKIP_FILE'");
    }
  });

  it('widening a PII column reads it unmasked and masks the new column with the FLOAT policy', () => {
    const from = ordersStream();
    const to = evolved(from, (s) => {
      s.properties.birth_year = { type: 'number' };
    });
    const sql = evolveStreamSql(from, to, config);
    const unset = sql.findIndex((s) => s.includes('MODIFY COLUMN "BIRTH_YEAR" UNSET MASKING POLICY'));
    const update = sql.findIndex((s) => s.startsWith('UPDATE'));
    expect(unset).toBeGreaterThanOrEqual(0);
    expect(unset).toBeLessThan(update);
    expect(sql).toContain(
      'ALTER TABLE "TRIBUTARY"."ACME"."ORDERS_RAW" ADD COLUMN IF NOT EXISTS "_WIDEN_BIRTH_YEAR" FLOAT WITH MASKING POLICY "TRIBUTARY"."ACME"."_PII_MASK_FLOAT"',
    );
    expect(sql).toContain(
      'ALTER TABLE "TRIBUTARY"."ACME"."ORDERS_RAW" MODIFY COLUMN "BIRTH_YEAR" SET MASKING POLICY "TRIBUTARY"."ACME"."_PII_MASK_FLOAT" FORCE',
    );
  });

  it('rejects type changes Snowflake cannot apply', () => {
    const from = ordersStream();
    const to = evolved(from, (s) => {
      s.properties.quantity = { type: 'string' };
    });
    expect(() => evolveStreamSql(from, to, config)).toThrow(SchemaIncompatibleError);
  });

  it('keeps a retired PII column masked', () => {
    const from = ordersStream();
    const to = { ...evolved(from, (s) => delete s.properties.email), piiFields: ['birth_year'] };
    expect(evolveStreamSql(from, to, config).join('\n')).not.toContain('UNSET');
  });

  it('escapes string literals, backslashes included', () => {
    expect(lit("it's \\ fine")).toBe("'it''s \\\\ fine'");
  });

  it('reads timestamps back as ISO strings, newest first', () => {
    const sql = previewSql(ordersStream(), 'entity', 5, config);
    expect(sql).toContain(`TO_VARCHAR("PLACED_AT", 'YYYY-MM-DD"T"HH24:MI:SS.FF3TZH:TZM') AS "PLACED_AT"`);
    expect(sql).toContain('FROM "TRIBUTARY"."ACME"."ORDERS_ENTITY"');
    expect(sql).toContain('ORDER BY "_BATCH_ID" DESC, "_INDEX" DESC\nLIMIT 5');
    expect(() => previewSql(ordersStream(), 'raw', 0, config)).toThrow(InvalidInputError);
    expect(() => previewSql(plainStream(), 'entity', 5, config)).toThrow(InvalidInputError);
    expect(previewSql(plainStream(), 'deduped', 5, config)).toContain('FROM "TRIBUTARY"."ACME"."EVENTS_RAW"');
  });

  it('maps loaded raw files to their batches, each with its distinct rows in all of raw', async () => {
    await expectGolden('batches-in-files', [
      batchesInFilesSql('acme', 'orders', ['raw/a.gz', "raw/it's.gz"], config),
    ]);
    expect(() => batchesInFilesSql('acme', 'orders', [], config)).toThrow(InvalidInputError);
    expect(() => batchesInFilesSql('a"; drop', 'orders', ['x'], config)).toThrow(InvalidInputError);
  });

  it('reads load history from COPY_HISTORY for both pipes, never starting more than 14 days back', async () => {
    const sql = copyHistorySql('acme', 'orders', '2026-11-26T00:00:00Z', config);
    await expectGolden('copy-history', [sql]);
    expect(sql).toContain(
      `COPY_HISTORY(TABLE_NAME => '"TRIBUTARY"."ACME"."ORDERS_RAW"', START_TIME => GREATEST(TO_TIMESTAMP_LTZ('2026-11-26T00:00:00.000Z'), DATEADD(MINUTE, -20150, CURRENT_TIMESTAMP())))`,
    );
    expect(sql).toContain(`'"TRIBUTARY"."ACME"."ORDERS_QUARANTINE"'`);
    expect(() => copyHistorySql('acme', 'orders', "'); drop", config)).toThrow(InvalidInputError);
  });
});

describe('identifier validation', () => {
  const cases: Array<[string, (bad: string) => Stream]> = [
    ['tenant', (bad) => ordersStream({ tenant: bad })],
    ['stream', (bad) => ordersStream({ name: bad })],
    [
      'field',
      (bad) => {
        const s = ordersStream();
        s.schema.properties[bad] = { type: 'string' };
        return s;
      },
    ],
    ['dedupe key', (bad) => ordersStream({ dedupe: { key: [bad] } })],
    ['pii field', (bad) => ordersStream({ piiFields: [bad] })],
  ];
  for (const [where, make] of cases) {
    it(`rejects bad ${where} names before generating anything`, () => {
      for (const bad of BAD_NAMES) {
        expect(() => createStreamSql(make(bad), config), `${where}: ${bad}`).toThrow(InvalidInputError);
        expect(() => previewSql(make(bad), 'raw', 10, config), `${where}: ${bad}`).toThrow(InvalidInputError);
      }
    });
  }

  it('accepts the longest allowed name', () => {
    expect(createStreamSql(plainStream({ name: 'a'.repeat(63) }), config).length).toBeGreaterThan(0);
  });

  it('rejects unsafe settings', () => {
    expect(() => createStreamSql(plainStream(), { ...config, bucket: "b' --" })).toThrow(InvalidInputError);
    expect(() => createStreamSql(plainStream(), { ...config, warehouse: 'wh"; drop' })).toThrow(
      InvalidInputError,
    );
    expect(() => createStreamSql(plainStream(), { ...config, targetLag: "1 minute'; drop" })).toThrow(
      InvalidInputError,
    );
    expect(() => createStreamSql(plainStream(), { ...config, readerRole: '{tenant} reader' })).toThrow(
      InvalidInputError,
    );
  });

  it('refuses a target lag under one minute, naming the setting, and accepts a minute or more', () => {
    for (const targetLag of ['59 seconds', '1 second', '0 minutes', '30 seconds']) {
      const err = (() => {
        try {
          createStreamSql(ordersStream(), { ...config, targetLag });
        } catch (e) {
          return e;
        }
      })() as InvalidInputError;
      expect(err, targetLag).toBeInstanceOf(InvalidInputError);
      expect(err.errors).toEqual([
        { path: 'targetLag', message: expect.stringContaining('at least 60 seconds') },
      ]);
    }
    for (const [targetLag, sql] of [
      ['60 seconds', "TARGET_LAG = '60 seconds'"],
      ['2 minutes', "TARGET_LAG = '2 minutes'"],
      ['1 hour', "TARGET_LAG = '1 hour'"],
      ['DOWNSTREAM', 'TARGET_LAG = DOWNSTREAM'],
    ]) {
      expect(layersSql(ordersStream(), { ...config, targetLag }, 'create').join('\n')).toContain(sql);
    }
  });

  it('never clusters on a VARIANT column (object, array or mixed type)', () => {
    for (const clusterBy of [['attributes'], ['customer_id', 'attributes']]) {
      const err = (() => {
        try {
          createStreamSql(ordersStream({ clusterBy }), config);
        } catch (e) {
          return e;
        }
      })() as InvalidInputError;
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.errors.map((e) => e.path)).toEqual([`clusterBy.${clusterBy.length - 1}`]);
    }
    const from = ordersStream();
    expect(() => evolveStreamSql(from, { ...from, clusterBy: ['attributes'] }, config)).toThrow(
      InvalidInputError,
    );
  });

  it('rejects keys that are not declared properties', () => {
    expect(() => createStreamSql(ordersStream({ clusterBy: ['nope'] }), config)).toThrow(InvalidInputError);
    expect(() =>
      createStreamSql(ordersStream({ entity: { key: ['order_id'], orderBy: 'nope' } }), config),
    ).toThrow(InvalidInputError);
  });
});
