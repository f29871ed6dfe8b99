import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Alert, AlertState } from '../../domain/monitoring/types.js';
import type { AlertStore } from '../../ports.js';
import { catalogFailure, isConditionFailure } from './errors.js';
import { queryAll } from './query-all.js';
import { docItem, key, readDoc, type Item } from './item.js';

/** Resolved alerts are kept 30 days (DynamoDB TTL; dynalite keeps them). Firing ones never expire. */
const RESOLVED_RETENTION_SECONDS = 30 * 24 * 3600;

const pkOf = (tenant: string) => `TENANT#${tenant}`;
const alertSk = (id: string) => `ALERT#${id}`;
/**
 * The "firing" marker of (stream, rule). Claiming it with a conditional put is what keeps one episode
 * firing at a time; it holds the alert it was claimed for, so a crash between the two writes can be repaired.
 */
const markerSk = (a: Pick<Alert, 'stream' | 'rule'>) => `FIRING#${a.stream}#${a.rule}`;

/**
 * Items (see table.ts): TENANT#<t> / ALERT#<id> with the alert in `doc`, its state in `st` and what the
 * receiver was told in `nt`; TENANT#<t> / FIRING#<stream>#<rule> while an episode is firing.
 */
export class DynamoAlertStore implements AlertStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async open(alert: Alert): Promise<boolean> {
    const doc = stripNotified({ ...alert, state: 'firing' });
    // Two rounds: the second runs only after clearing a marker left behind by an interrupted resolve.
    for (let round = 0; round < 2; round++) {
      const claimed = await this.putIfAbsent(
        docItem(pkOf(alert.tenant), markerSk(alert), doc, { aid: { S: alert.id } }),
      );
      if (claimed) {
        if (await this.putIfAbsent(this.alertItem(doc))) return true;
        // The id was taken by an earlier episode (same millisecond): give the marker back.
        await this.deleteMarker(alert, alert.id);
        return false;
      }
      const marker = await this.get(pkOf(alert.tenant), markerSk(alert));
      if (!marker) continue;
      const claimedFor = readDoc<Alert>(marker)!;
      const existing = await this.get(pkOf(alert.tenant), alertSk(claimedFor.id));
      if (!existing) {
        // The opener stopped between its two writes: finish its work, the episode is firing.
        await this.putIfAbsent(this.alertItem(claimedFor));
        return false;
      }
      if (existing.st?.S === 'firing') return false;
      await this.deleteMarker(alert, claimedFor.id);
    }
    return false;
  }

  async resolve(alert: Alert & { resolvedAt: string }): Promise<boolean> {
    const doc = stripNotified({ ...alert, state: 'resolved' });
    const expiresAt = Math.floor(Date.parse(alert.resolvedAt) / 1000) + RESOLVED_RETENTION_SECONDS;
    let resolved = true;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(pkOf(alert.tenant), alertSk(alert.id)),
          UpdateExpression: 'SET #doc = :doc, #st = :resolved, expiresAt = :exp',
          ConditionExpression: '#st = :firing',
          ExpressionAttributeNames: { '#doc': 'doc', '#st': 'st' },
          ExpressionAttributeValues: {
            ':doc': { S: JSON.stringify(doc) },
            ':resolved': { S: 'resolved' },
            ':firing': { S: 'firing' },
            ':exp': { N: String(expiresAt) },
          },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw catalogFailure(err);
      resolved = false;
    }
    await this.deleteMarker(alert, alert.id);
    return resolved;
  }

  async markNotified(tenant: string, id: string, state: AlertState): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(pkOf(tenant), alertSk(id)),
          UpdateExpression: 'SET #nt = :s',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#nt': 'nt' },
          ExpressionAttributeValues: { ':s': { S: state } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw catalogFailure(err);
    }
  }

  async list(tenant: string, filter: { state?: AlertState } = {}): Promise<Alert[]> {
    const alerts = await this.query(
      tenant,
      filter.state
        ? { expression: '#st = :s', names: { '#st': 'st' }, values: { ':s': { S: filter.state } } }
        : undefined,
    );
    return alerts.sort((a, b) => b.firedAt.localeCompare(a.firedAt) || b.id.localeCompare(a.id));
  }

  active(tenant: string): Promise<Alert[]> {
    return this.query(tenant, {
      expression: '#st = :firing OR #nt = :firing',
      names: { '#st': 'st', '#nt': 'nt' },
      values: { ':firing': { S: 'firing' } },
    });
  }

  private alertItem(doc: Alert): Item {
    return docItem(pkOf(doc.tenant), alertSk(doc.id), doc, { st: { S: doc.state } });
  }

  private async query(
    tenant: string,
    filter?: { expression: string; names: Record<string, string>; values: Item },
  ): Promise<Alert[]> {
    const items = await queryAll(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ...(filter ? { FilterExpression: filter.expression, ExpressionAttributeNames: filter.names } : {}),
      ExpressionAttributeValues: {
        ':pk': { S: pkOf(tenant) },
        ':prefix': { S: 'ALERT#' },
        ...filter?.values,
      },
    });
    return items.map((item) => {
      const alert = readDoc<Alert>(item)!;
      const notified = item.nt?.S as AlertState | undefined;
      return notified ? { ...alert, lastNotifiedState: notified } : alert;
    });
  }

  private async get(pk: string, sk: string): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: key(pk, sk), ConsistentRead: true }),
      );
      return out.Item;
    } catch (err) {
      throw catalogFailure(err);
    }
  }

  private async putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw catalogFailure(err);
    }
  }

  /** Only the marker of that episode: a newer episode's marker stays. */
  private async deleteMarker(a: Pick<Alert, 'tenant' | 'stream' | 'rule'>, id: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: key(pkOf(a.tenant), markerSk(a)),
          ConditionExpression: 'aid = :id',
          ExpressionAttributeValues: { ':id': { S: id } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw catalogFailure(err);
    }
  }
}

function stripNotified(alert: Alert): Alert {
  const { lastNotifiedState: _, ...rest } = alert;
  return rest;
}
