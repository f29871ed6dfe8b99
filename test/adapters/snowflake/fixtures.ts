/** Streams and settings shared by the Snowflake adapter tests. */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { SnowflakeSqlConfig } from '../../../api/adapters/snowflake/index.js';
import type { ObjectSchema } from '../../../api/domain/schema/types.js';
import type { Stream } from '../../../api/domain/streams/types.js';

/** Injection attempts, upper case, unicode, too long, empty, leading digit or underscore. */
export const BAD_NAMES = ['a"; drop table x; --', 'Orders', 'ordérs', 'a'.repeat(64), '', '1abc', '_meta'];

export const config: SnowflakeSqlConfig = {
  database: 'tributary',
  warehouse: 'tributary_wh',
  bucket: 'tributary-lake',
  storageIntegration: 'tributary_lake',
  readerRole: '{tenant}_reader',
  piiRole: '{tenant}_pii',
};

export const ordersSchema: ObjectSchema = {
  type: 'object',
  properties: {
    order_id: { type: 'string' },
    customer_id: { type: 'string' },
    email: { type: 'string', format: 'email' },
    birth_year: { type: 'integer' },
    status: { type: 'string', enum: ['placed', 'shipped'] },
    quantity: { type: 'integer' },
    amount: { type: 'number' },
    paid: { type: 'boolean' },
    deleted: { type: ['boolean', 'null'] },
    placed_at: { type: 'string', format: 'date-time' },
    ship_date: { type: 'string', format: 'date' },
    attributes: { type: 'object' },
    updated_at: { type: 'string', format: 'date-time' },
  },
  required: ['order_id', 'customer_id'],
};

/** Everything on: dedupe, entity with orderBy and deleteField, clustering, PII of two types. */
export function ordersStream(overrides: Partial<Stream> = {}): Stream {
  return {
    tenant: 'acme',
    name: 'orders',
    schema: structuredClone(ordersSchema),
    dedupe: { key: ['order_id'] },
    entity: { key: ['order_id'], orderBy: 'updated_at', deleteField: 'deleted' },
    piiFields: ['email', 'birth_year'],
    clusterBy: ['customer_id'],
    compatibility: 'BACKWARD',
    buffering: { intervalSeconds: 60, sizeMiB: 5 },
    version: 1,
    createdAt: '2026-11-26T12:00:00.000Z',
    updatedAt: '2026-11-26T12:00:00.000Z',
    revision: 1,
    ...overrides,
  };
}

/** A stream with none of the options: one typed column, no layers, no PII. */
export function plainStream(overrides: Partial<Stream> = {}): Stream {
  return ordersStream({
    name: 'events',
    schema: { type: 'object', properties: { kind: { type: 'string' } } },
    dedupe: undefined,
    entity: undefined,
    piiFields: [],
    clusterBy: [],
    ...overrides,
  });
}

/** A Debezium change stream of a `customers` table, ordered by binlog position. */
export function cdcStream(overrides: Partial<Stream> = {}): Stream {
  return ordersStream({
    name: 'customers',
    schema: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        first_name: { type: ['string', 'null'] },
        email: { type: ['string', 'null'], format: 'email' },
      },
      required: ['id'],
    },
    dedupe: { key: ['id'] },
    entity: { key: ['id'] },
    piiFields: ['email'],
    clusterBy: [],
    cdc: { format: 'debezium', sourcePosition: 'pos' },
    ...overrides,
  });
}

/** `to` as the next version of `from`, evolved at a fixed time. */
export function evolved(from: Stream, change: (schema: ObjectSchema) => void): Stream {
  const schema = structuredClone(from.schema);
  change(schema);
  return {
    ...from,
    schema,
    version: from.version + 1,
    updatedAt: '2026-11-27T09:30:00.000Z',
    revision: from.revision + 1,
  };
}

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export function renderStatements(statements: string[]): string {
  return statements.length ? `${statements.join(';\n\n')};\n` : '-- no DDL\n';
}

/** Compares exactly with golden/<name>.sql; UPDATE_GOLDEN=1 rewrites the file instead. */
export async function expectGolden(name: string, statements: string[]): Promise<void> {
  const path = join(goldenDir, `${name}.sql`);
  const text = renderStatements(statements);
  if (process.env.UPDATE_GOLDEN === '1') {
    await writeFile(path, text);
    return;
  }
  const expected = await readFile(path, 'utf8').catch(() => {
    throw new Error(`golden file ${name}.sql is missing: run with UPDATE_GOLDEN=1`);
  });
  expect(text).toBe(expected);
}

export async function readGolden(name: string): Promise<string> {
  return readFile(join(goldenDir, `${name}.sql`), 'utf8');
}
