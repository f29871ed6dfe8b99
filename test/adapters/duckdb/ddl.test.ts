import { describe, expect, it } from 'vitest';
import { createStatements, viewStatements } from '../../../api/adapters/duckdb/ddl.js';
import { rawLoadSql } from '../../../api/adapters/duckdb/load-sql.js';
import { planEvolution } from '../../../api/adapters/duckdb/index.js';
import { InvalidInputError, SchemaIncompatibleError } from '../../../api/domain/errors.js';
import type { Stream } from '../../../api/domain/streams/types.js';
import { makeStream } from './fixtures.js';

const base = makeStream({
  schema: {
    type: 'object',
    properties: { id: { type: 'string' }, n: { type: 'integer' }, gone: { type: 'boolean' } },
  },
});
const withSchema = (properties: Stream['schema']['properties'], extra: Partial<Stream> = {}): Stream => ({
  ...base,
  version: base.version + 1,
  schema: { type: 'object', properties },
  ...extra,
});

describe('planEvolution', () => {
  it('adds new properties, widens integer to number and never drops a column', () => {
    const to = withSchema({
      id: { type: 'string' },
      n: { type: 'number' },
      at: { type: 'string', format: 'date-time' },
    });
    expect(planEvolution(base, to)).toEqual([
      'ALTER TABLE "raw"."events" ALTER COLUMN "n" SET DATA TYPE DOUBLE',
      'ALTER TABLE "raw"."events" ADD COLUMN IF NOT EXISTS "at" TIMESTAMPTZ',
    ]);
  });

  it('is empty when nothing changes', () => {
    expect(planEvolution(base, { ...base, version: 2 })).toEqual([]);
  });

  it('recreates layer views when their definition changes', () => {
    const to = withSchema(base.schema.properties, {
      entity: { key: ['id'], orderBy: 'n', deleteField: 'gone' },
    });
    const plan = planEvolution(base, to);
    expect(plan).toHaveLength(2);
    expect(plan[0]).toBe('DROP VIEW IF EXISTS "deduped"."events"');
    expect(plan[1]).toMatch(/^CREATE OR REPLACE VIEW "entity"."events" AS /);
    expect(plan[1]).toContain(
      'PARTITION BY "id" ORDER BY "n" DESC NULLS LAST, "_batch_id" DESC, "_index" DESC',
    );
    expect(plan[1]).toContain('WHERE NOT ("gone" IS TRUE)');
  });

  it('refuses type changes DDL cannot make safely', () => {
    const to = withSchema({ id: { type: 'integer' }, n: { type: 'string' }, gone: { type: 'boolean' } });
    expect(() => planEvolution(base, to)).toThrow(SchemaIncompatibleError);
  });

  it('refuses invalid names and a different stream', () => {
    expect(() => planEvolution(base, withSchema({ 'bad"name': { type: 'string' } }))).toThrow(
      InvalidInputError,
    );
    expect(() => planEvolution(base, { ...base, name: 'other' })).toThrow(InvalidInputError);
    expect(() => planEvolution(base, { ...base, name: 'x"; --' })).toThrow(InvalidInputError);
  });
});

describe('cdc streams', () => {
  const cdc = makeStream({
    schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    dedupe: { key: ['id'] },
    entity: { key: ['id'] },
    cdc: { format: 'debezium', sourcePosition: 'lsn' },
  });

  it('gives raw the change columns and loads them from the lake line', () => {
    expect(createStatements(cdc)).toContain(
      'CREATE TABLE IF NOT EXISTS "raw"."events" ("id" BIGINT, "name" VARCHAR, "_extra" JSON, "_id" VARCHAR, "_batch_id" VARCHAR, "_index" INTEGER, "_received_at" TIMESTAMPTZ, "_schema_version" INTEGER, "_op" VARCHAR, "_source_ts" TIMESTAMPTZ, "_source_position" DECIMAL(38,0), "_source" JSON)',
    );
    expect(rawLoadSql(cdc, ['/lake/a.ndjson'])).toContain(
      `'_op': 'VARCHAR', '_source_ts': 'TIMESTAMPTZ', '_source_position': 'DECIMAL(38,0)', '_source': 'JSON'`,
    );
  });

  it('dedupes on key and position and orders the entity by source position, hiding deletes', () => {
    const [deduped, entity] = viewStatements(cdc);
    expect(deduped).toContain('PARTITION BY "id", "_source_position" ORDER BY "_batch_id", "_index"');
    expect(entity).toBe(
      'CREATE OR REPLACE VIEW "entity"."events" AS SELECT * FROM (SELECT * FROM "raw"."events" QUALIFY row_number() OVER (PARTITION BY "id" ORDER BY "_source_position" DESC NULLS LAST, CASE WHEN "_op" = \'r\' THEN 0 ELSE 1 END DESC, "_source_ts" DESC NULLS LAST, "_batch_id" DESC, "_index" DESC) = 1) WHERE NOT ("_op" = \'d\')',
    );
  });
});
