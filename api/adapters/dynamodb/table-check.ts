import {
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { isMisconfiguration } from './errors.js';
import { catalogTableDefinition, type TableDefinition } from './table-definition.js';

/**
 * The deployed table differs from table-definition.ts: requests that need what is missing answer 500
 * misconfigured until the stack is deployed from this version. Logged once, at cold start.
 */
export class CatalogTableMismatchError extends Error {
  constructor(
    readonly table: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(
      `table ${table} ${problems.join('; ')}; requests that need it answer 500 misconfigured until the ` +
        'stack is deployed from this version (api/adapters/dynamodb/table-definition.ts)',
      options,
    );
    this.name = 'CatalogTableMismatchError';
  }
}

export type TableCheck =
  | { state: 'matches' }
  | { state: 'mismatch'; error: CatalogTableMismatchError }
  /** DescribeTable itself failed for a passing reason (throttled, timed out): nothing is known. */
  | { state: 'unchecked'; error: unknown };

const keys = (schema: KeySchemaElement[] = []) =>
  schema.map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ') || 'nothing';

/** What the deployed table lacks or has differently; extra indexes and attributes are fine. */
export function tableMismatches(actual: TableDescription, def: TableDefinition): string[] {
  const problems: string[] = [];
  if (keys(actual.KeySchema) !== keys(def.keySchema))
    problems.push(`is keyed by ${keys(actual.KeySchema)}, not ${keys(def.keySchema)}`);
  const actualTypes = new Map(
    (actual.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]),
  );
  for (const a of def.attributeDefinitions) {
    const type = actualTypes.get(a.AttributeName);
    if (type && type !== a.AttributeType)
      problems.push(`defines ${a.AttributeName} as ${type}, not ${a.AttributeType}`);
  }
  for (const want of def.globalSecondaryIndexes) {
    const projection = want.Projection?.ProjectionType ?? 'ALL';
    const have = actual.GlobalSecondaryIndexes?.find((g) => g.IndexName === want.IndexName);
    if (!have) {
      problems.push(`lacks index ${want.IndexName} (${keys(want.KeySchema)}; projection ${projection})`);
      continue;
    }
    if (keys(have.KeySchema) !== keys(want.KeySchema))
      problems.push(
        `has index ${want.IndexName} keyed by ${keys(have.KeySchema)}, not ${keys(want.KeySchema)}`,
      );
    if ((have.Projection?.ProjectionType ?? 'ALL') !== projection)
      problems.push(
        `has index ${want.IndexName} projecting ${have.Projection?.ProjectionType}, not ${projection}`,
      );
  }
  return problems;
}

/**
 * One DescribeTable, bounded by `timeoutMs`, compared with the definition. The TTL attribute is not
 * checked: that takes another call (DescribeTimeToLive), and a table without TTL only keeps expired
 * items longer.
 */
export async function checkTable(
  client: DynamoDBClient,
  tableName: string,
  def: TableDefinition = catalogTableDefinition,
  timeoutMs = 3_000,
): Promise<TableCheck> {
  let table: TableDescription | undefined;
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    table = out.Table;
  } catch (err) {
    const name = (err as { name?: string })?.name ?? 'Error';
    if (!isMisconfiguration(err)) return { state: 'unchecked', error: err };
    const problem = name === 'ResourceNotFoundException' ? 'does not exist' : `cannot be described (${name})`;
    return { state: 'mismatch', error: new CatalogTableMismatchError(tableName, [problem], { cause: err }) };
  }
  const problems = table ? tableMismatches(table, def) : ['was described as nothing'];
  return problems.length
    ? { state: 'mismatch', error: new CatalogTableMismatchError(tableName, problems) }
    : { state: 'matches' };
}
