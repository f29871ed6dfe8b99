import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  catalogTableDefinition,
  createDynamoClient,
  ensureTable,
  startDynalite,
  type EmbeddedDynamo,
} from '../../api/adapters/dynamodb/index.js';
import { composeAws } from '../../api/compose/aws.js';
import { parseConfig } from '../../api/config.js';

let dynamo: EmbeddedDynamo;
let dynamoClient: ReturnType<typeof createDynamoClient>;
const client = () => dynamoClient;
const stacks: ReturnType<typeof composeAws>[] = [];
beforeAll(async () => {
  dynamo = await startDynalite();
  dynamoClient = createDynamoClient({ endpoint: dynamo.endpoint });
});
afterAll(async () => {
  for (const s of stacks) await s.services.delivery.close();
  dynamoClient?.destroy();
  await dynamo?.close();
});

function composeOn(table: string) {
  const lines: { level: number; msg: string; table?: string; err?: { type: string; message: string } }[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as never) });
  const config = parseConfig({
    TRIBUTARY_MODE: 'aws',
    TRIBUTARY_ADMIN_KEY: 'compose-aws-admin-key-0123456789abcdef',
    AWS_REGION: 'us-east-1',
    TRIBUTARY_TABLE_NAME: table,
    TRIBUTARY_DYNAMODB_ENDPOINT: dynamo.endpoint,
    TRIBUTARY_FIREHOSE_STREAM: 'raw',
    TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: 'quarantine',
  });
  const stack = composeAws(config, logger);
  stacks.push(stack);
  return { stack, lines };
}

describe('composeAws: the cold-start check of the catalog table', () => {
  it('logs CatalogTableMismatchError naming what the deployed table lacks', async () => {
    await ensureTable(client(), 'tributary-catalog', {
      ...catalogTableDefinition,
      attributeDefinitions: catalogTableDefinition.attributeDefinitions.slice(0, 2),
      globalSecondaryIndexes: [],
    });
    const { stack, lines } = composeOn('tributary-catalog');
    expect((await stack.checkCatalogTable()).state).toBe('mismatch');
    const line = lines.find((l) => l.msg === 'the catalog table does not match this version');
    expect(line).toMatchObject({ level: 50, table: 'tributary-catalog' });
    expect(line?.err?.type).toBe('CatalogTableMismatchError');
    expect(line?.err?.message).toMatch(/^table tributary-catalog lacks index gsi1 /);
  });

  it('logs nothing when the table matches', async () => {
    await ensureTable(client(), 'matching');
    const { stack, lines } = composeOn('matching');
    expect(await stack.checkCatalogTable()).toEqual({ state: 'matches' });
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });
});
