import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { KeySchemaElement } from '@aws-sdk/client-dynamodb';
import type { Construct } from 'constructs';
import type { TableDefinition } from '../../api/adapters/dynamodb/table-definition.js';

const ATTRIBUTE_TYPES: Record<string, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

const PROJECTIONS: Record<string, dynamodb.ProjectionType> = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
  INCLUDE: dynamodb.ProjectionType.INCLUDE,
};

/** A key schema of the definition as CDK attributes; an attribute it does not define is a bug in it. */
function keysOf(
  def: TableDefinition,
  schema: KeySchemaElement[] = [],
): { partitionKey: dynamodb.Attribute; sortKey?: dynamodb.Attribute } {
  const attribute = (keyType: 'HASH' | 'RANGE'): dynamodb.Attribute | undefined => {
    const name = schema.find((k) => k.KeyType === keyType)?.AttributeName;
    if (!name) return undefined;
    const type = def.attributeDefinitions.find((a) => a.AttributeName === name)?.AttributeType;
    if (!type || !ATTRIBUTE_TYPES[type])
      throw new Error(`The table definition does not define attribute ${name}`);
    return { name, type: ATTRIBUTE_TYPES[type] };
  };
  const partitionKey = attribute('HASH');
  if (!partitionKey) throw new Error('The table definition has a key schema without a partition key');
  const sortKey = attribute('RANGE');
  return sortKey ? { partitionKey, sortKey } : { partitionKey };
}

/**
 * The catalog table, built from the adapter's definition (api/adapters/dynamodb/table-definition.ts) so
 * the deployed keys and indexes are exactly what the code queries. What only the deployment decides
 * (recovery, deletion protection, retention) is set here.
 */
export function catalogTable(scope: Construct, id: string, def: TableDefinition): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    ...keysOf(def, def.keySchema),
    billingMode:
      def.billingMode === 'PROVISIONED'
        ? dynamodb.BillingMode.PROVISIONED
        : dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: def.timeToLiveAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const index of def.globalSecondaryIndexes) {
    const projection = index.Projection?.ProjectionType ?? 'ALL';
    table.addGlobalSecondaryIndex({
      indexName: index.IndexName!,
      ...keysOf(def, index.KeySchema),
      projectionType: PROJECTIONS[projection],
      ...(projection === 'INCLUDE' ? { nonKeyAttributes: index.Projection?.NonKeyAttributes ?? [] } : {}),
    });
  }
  return table;
}
