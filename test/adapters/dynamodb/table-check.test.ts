import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { catalogTableDefinition, ensureTable } from '../../../api/adapters/dynamodb/index.js';
import { checkTable, tableMismatches } from '../../../api/adapters/dynamodb/table-check.js';
import type { TableDefinition } from '../../../api/adapters/dynamodb/table-definition.js';
import { useDynalite } from '../../support/dynalite.js';

const client = useDynalite();
const def = catalogTableDefinition;
const pkSkOnly: TableDefinition = {
  ...def,
  attributeDefinitions: def.attributeDefinitions.filter((a) => ['pk', 'sk'].includes(a.AttributeName!)),
  globalSecondaryIndexes: [],
};

describe('checkTable against dynalite', () => {
  it('finds a table created from the definition matching', async () => {
    await ensureTable(client(), 'good');
    expect(await checkTable(client(), 'good')).toEqual({ state: 'matches' });
  });

  it('names the missing keys index of a pk/sk-only table (the stack as it was)', async () => {
    await ensureTable(client(), 'pk-sk-only', pkSkOnly);
    const check = await checkTable(client(), 'pk-sk-only');
    expect(check.state).toBe('mismatch');
    const error = (check as { error: Error }).error;
    expect(error.name).toBe('CatalogTableMismatchError');
    expect(error.message).toMatch(
      /^table pk-sk-only lacks index gsi1 \(gsi1pk HASH, gsi1sk RANGE; projection ALL\); requests that need it answer 500 misconfigured/,
    );
  });

  it('says a missing table does not exist', async () => {
    const check = await checkTable(client(), 'nowhere');
    expect(check.state).toBe('mismatch');
    expect((check as { error: Error }).error.message).toMatch(/^table nowhere does not exist;/);
  });

  it('reports an unreachable DynamoDB as unchecked, not as a mismatch', async () => {
    const down = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    try {
      expect((await checkTable(down, 'good')).state).toBe('unchecked');
    } finally {
      down.destroy();
    }
  });
});

describe('tableMismatches', () => {
  const described = {
    KeySchema: def.keySchema,
    AttributeDefinitions: def.attributeDefinitions,
    GlobalSecondaryIndexes: def.globalSecondaryIndexes,
  };

  it('accepts extra indexes and attributes', () => {
    const extra = {
      ...described,
      AttributeDefinitions: [
        ...def.attributeDefinitions,
        { AttributeName: 'x', AttributeType: 'N' as const },
      ],
      GlobalSecondaryIndexes: [
        ...def.globalSecondaryIndexes,
        {
          IndexName: 'other',
          KeySchema: [{ AttributeName: 'x', KeyType: 'HASH' as const }],
          Projection: { ProjectionType: 'KEYS_ONLY' as const },
        },
      ],
    };
    expect(tableMismatches(extra, def)).toEqual([]);
  });

  it('names each difference: table keys, attribute types, index keys and projection', () => {
    const wrong = {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' as const },
        { AttributeName: 'gsi1pk', AttributeType: 'N' as const },
        { AttributeName: 'gsi1sk', AttributeType: 'S' as const },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' as const }],
          Projection: { ProjectionType: 'KEYS_ONLY' as const },
        },
      ],
    };
    expect(tableMismatches(wrong, def)).toEqual([
      'is keyed by id HASH, not pk HASH, sk RANGE',
      'defines gsi1pk as N, not S',
      'has index gsi1 keyed by gsi1pk HASH, not gsi1pk HASH, gsi1sk RANGE',
      'has index gsi1 projecting KEYS_ONLY, not ALL',
    ]);
  });
});
