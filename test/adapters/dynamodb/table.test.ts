import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { catalogTableDefinition, ensureTable } from '../../../api/adapters/dynamodb/index.js';
import { useDynalite } from '../../support/dynalite.js';

const client = useDynalite();

const byName = <T extends { AttributeName?: string }>(list: T[] = []) =>
  [...list].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));

describe('ensureTable', () => {
  it('creates the table from the catalog definition: keys, attributes, the keys index', async () => {
    await ensureTable(client(), 'from-definition');
    const { Table: table } = await client().send(new DescribeTableCommand({ TableName: 'from-definition' }));
    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table?.KeySchema).toEqual(catalogTableDefinition.keySchema);
    expect(byName(table?.AttributeDefinitions)).toEqual(byName(catalogTableDefinition.attributeDefinitions));
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(
      table?.GlobalSecondaryIndexes?.map((g) => ({
        IndexName: g.IndexName,
        KeySchema: g.KeySchema,
        Projection: g.Projection,
      })),
    ).toEqual(catalogTableDefinition.globalSecondaryIndexes);
  });

  it('leaves an existing table as it is', async () => {
    await ensureTable(client(), 'twice');
    const before = await client().send(new DescribeTableCommand({ TableName: 'twice' }));
    await ensureTable(client(), 'twice');
    const after = await client().send(new DescribeTableCommand({ TableName: 'twice' }));
    expect(after.Table?.CreationDateTime).toEqual(before.Table?.CreationDateTime);
  });
});
