import { describe, expect, it } from 'vitest';
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
