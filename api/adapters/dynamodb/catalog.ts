import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type QueryCommandInput,
  DescribeTableCommand,
} from '@aws-sdk/client-dynamodb';
import { AlreadyExistsError, ConcurrentModificationError } from '../../domain/errors.js';
import type { ApiKey } from '../../domain/keys/types.js';
import type { Stream, StreamVersion } from '../../domain/streams/types.js';
import type { Tenant } from '../../domain/tenants/types.js';
import type { WarehouseBinding } from '../../domain/tenants/warehouse-binding.js';
import type { Catalog } from '../../ports.js';
import { catalogFailure, isConditionFailure } from './errors.js';
import { queryAll } from './query-all.js';
import { KEYS_INDEX } from './table-definition.js';
import { docItem, key, readDoc, type Item } from './item.js';

/** A tenant's own warehouse account sits on the tenant's partition, beside its streams. */
const WAREHOUSE_SK = 'WAREHOUSE';
const versionSk = (name: string, version: number) => `STREAMVER#${name}#${String(version).padStart(6, '0')}`;

export class DynamoCatalog implements Catalog {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async createTenant(tenant: Tenant): Promise<void> {
    await this.putNew(
      docItem('TENANTS', tenant.name, tenant),
      () => new AlreadyExistsError(`Tenant '${tenant.name}' already exists.`),
    );
  }

  async getTenant(name: string): Promise<Tenant | undefined> {
    return readDoc<Tenant>(await this.get('TENANTS', name));
  }

  async listTenants(): Promise<Tenant[]> {
    return this.queryDocs<Tenant>({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'TENANTS' } },
    });
  }

  async updateTenant(tenant: Tenant): Promise<void> {
    await this.run(() =>
      this.client.send(
        new PutItemCommand({ TableName: this.table, Item: docItem('TENANTS', tenant.name, tenant) }),
      ),
    );
  }

  async getWarehouseBinding(tenant: string): Promise<WarehouseBinding | undefined> {
    return readDoc<WarehouseBinding>(await this.get(`TENANT#${tenant}`, WAREHOUSE_SK));
  }

  async putWarehouseBinding(binding: WarehouseBinding): Promise<void> {
    await this.run(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: docItem(`TENANT#${binding.tenant}`, WAREHOUSE_SK, binding),
        }),
      ),
    );
  }

  async deleteWarehouseBinding(tenant: string): Promise<boolean> {
    const out = await this.run(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: key(`TENANT#${tenant}`, WAREHOUSE_SK),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out.Attributes !== undefined;
  }

  async createKey(k: ApiKey): Promise<void> {
    const item = docItem(`KEY#${k.id}`, 'KEY', k, {
      gsi1pk: { S: `TENANT#${k.tenant}#KEYS` },
      gsi1sk: { S: `${k.createdAt}#${k.id}` },
    });
    await this.putNew(item, () => new AlreadyExistsError(`Key '${k.id}' already exists.`));
  }

  async getKey(id: string): Promise<ApiKey | undefined> {
    return readDoc<ApiKey>(await this.get(`KEY#${id}`, 'KEY'));
  }

  async listKeys(tenant: string): Promise<ApiKey[]> {
    return this.queryDocs<ApiKey>({
      IndexName: KEYS_INDEX,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `TENANT#${tenant}#KEYS` } },
    });
  }

  async revokeKey(tenant: string, id: string, at: string): Promise<boolean> {
    const existing = await this.getKey(id);
    if (!existing || existing.tenant !== tenant || existing.revokedAt) return false;
    const revoked: ApiKey = { ...existing, revokedAt: at };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: docItem(`KEY#${id}`, 'KEY', revoked, {
            gsi1pk: { S: `TENANT#${tenant}#KEYS` },
            gsi1sk: { S: `${existing.createdAt}#${id}` },
            revoked: { BOOL: true },
          }),
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw catalogFailure(err);
    }
  }

  async createStream(stream: Stream, first: StreamVersion): Promise<void> {
    await this.putNew(
      docItem(`TENANT#${stream.tenant}`, `STREAM#${stream.name}`, stream, {
        rev: { N: String(stream.revision) },
      }),
      () => new AlreadyExistsError(`Stream '${stream.name}' already exists.`),
    );
    // A crash here leaves a stream without its version item; getVersions falls back to the stream itself.
    await this.putNew(
      docItem(`TENANT#${stream.tenant}`, versionSk(stream.name, first.version), first),
      () => undefined,
    );
  }

  async getStream(tenant: string, name: string): Promise<Stream | undefined> {
    return readDoc<Stream>(await this.get(`TENANT#${tenant}`, `STREAM#${name}`));
  }

  async listStreams(tenant: string): Promise<Stream[]> {
    return this.queryDocs<Stream>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': { S: `TENANT#${tenant}` }, ':prefix': { S: 'STREAM#' } },
    });
  }

  async updateStream(stream: Stream, expectedRevision: number, version?: StreamVersion): Promise<void> {
    if (version) {
      // Written first and conditionally: of two racing evolutions only one can claim version n+1.
      await this.putNew(
        docItem(`TENANT#${stream.tenant}`, versionSk(stream.name, version.version), version),
        () => new ConcurrentModificationError(`Stream '${stream.name}' was changed concurrently; retry.`),
      );
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: docItem(`TENANT#${stream.tenant}`, `STREAM#${stream.name}`, stream, {
            rev: { N: String(stream.revision) },
          }),
          ConditionExpression: 'rev = :expected',
          ExpressionAttributeValues: { ':expected': { N: String(expectedRevision) } },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err))
        throw new ConcurrentModificationError(`Stream '${stream.name}' was changed concurrently; retry.`);
      throw catalogFailure(err);
    }
  }

  async listVersions(tenant: string, name: string): Promise<StreamVersion[]> {
    return this.queryDocs<StreamVersion>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': { S: `TENANT#${tenant}` }, ':prefix': { S: `STREAMVER#${name}#` } },
    });
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.send(new DescribeTableCommand({ TableName: this.table })));
  }

  private async get(pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.run(() =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: key(pk, sk), ConsistentRead: true })),
    );
    return out.Item;
  }

  private async putNew(item: Item, onExists: () => Error | undefined): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        const e = onExists();
        if (e) throw e;
        return;
      }
      throw catalogFailure(err);
    }
  }

  private async queryDocs<T>(input: Omit<QueryCommandInput, 'TableName'>): Promise<T[]> {
    const items = await queryAll(this.client, { TableName: this.table, ...input });
    return items.map((item) => readDoc<T>(item)!);
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw catalogFailure(err);
    }
  }
}
