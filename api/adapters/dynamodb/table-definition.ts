import type {
  AttributeDefinition,
  BillingMode,
  GlobalSecondaryIndex,
  KeySchemaElement,
} from '@aws-sdk/client-dynamodb';

/**
 * The catalog table the adapters read and write, in DynamoDB's own terms. It is the one definition:
 * ensureTable creates it locally, infra/ builds the CDK table from it, and AWS mode checks the deployed
 * table against it at cold start, so the code and the stack cannot drift apart (they did: a stack
 * without gsi1 answered every key listing with an error).
 *
 * Single-table design. Items keep their document as JSON in `doc`, so the adapter never maps
 * attributes one by one; keys and the few attributes conditions need live beside it.
 *
 *   TENANTS               / <tenant>                  tenant
 *   KEY#<id>              / KEY                       api key (gsi1: TENANT#<t>#KEYS / <createdAt>#<id>)
 *   TENANT#<t>            / STREAM#<name>             stream (rev for optimistic locking)
 *   TENANT#<t>            / STREAMVER#<name>#<000001> stream schema version
 *   IDEM#<t>#<s>#<key>    / IDEM                      idempotency record (expiresAt TTL)
 *   METRIC#<t>#<s>        / <minute, 15 digits>       per-minute counters (ADD)
 *   TENANT#<t>            / ALERT#<id>                alert
 *   TENANT#<t>            / BATCH#<s>#<batchId>       Firehose batch receipt (expiresAt TTL)
 */
export interface TableDefinition {
  billingMode: BillingMode;
  /** Every attribute a key schema (table or index) names, and only those: DynamoDB refuses others. */
  attributeDefinitions: AttributeDefinition[];
  keySchema: KeySchemaElement[];
  globalSecondaryIndexes: GlobalSecondaryIndex[];
  /** Epoch seconds after which DynamoDB may delete the item (idempotency records, receipts, counters). */
  timeToLiveAttribute: string;
}

/** The index DynamoCatalog.listKeys queries: a tenant's keys, oldest first. */
export const KEYS_INDEX = 'gsi1';

export const catalogTableDefinition: TableDefinition = {
  billingMode: 'PAY_PER_REQUEST',
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
  ],
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  globalSecondaryIndexes: [
    {
      IndexName: KEYS_INDEX,
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      // listKeys reads whole documents from the index, so it must project every attribute.
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  timeToLiveAttribute: 'expiresAt',
};
