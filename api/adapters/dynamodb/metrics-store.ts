import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { MetricsStore, MinutePoint } from '../../ports.js';
import { COUNTER_FIELDS } from '../../domain/monitoring/counters.js';
import { catalogFailure } from './errors.js';
import { queryAll } from './query-all.js';
import type { Item } from './item.js';

const RETENTION_SECONDS = 8 * 24 * 3600;
const minuteSk = (minute: number) => String(minute).padStart(15, '0');

/** One UpdateItem with ADD per stream-minute touched since the last flush: never a write per record. */
export class DynamoMetricsStore implements MetricsStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async addMinutes(tenant: string, stream: string, points: MinutePoint[]): Promise<void> {
    for (const p of points) {
      const names: Record<string, string> = {};
      const values: Item = { ':exp': { N: String(Math.floor(p.minute / 1000) + RETENTION_SECONDS) } };
      const adds: string[] = [];
      COUNTER_FIELDS.forEach((f, i) => {
        if (!p[f]) return;
        names[`#f${i}`] = f;
        values[`:v${i}`] = { N: String(p[f]) };
        adds.push(`#f${i} :v${i}`);
      });
      if (!adds.length) continue;
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: { S: `METRIC#${tenant}#${stream}` }, sk: { S: minuteSk(p.minute) } },
            UpdateExpression: `ADD ${adds.join(', ')} SET expiresAt = :exp`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      } catch (err) {
        throw catalogFailure(err);
      }
    }
  }

  async getMinutes(tenant: string, stream: string, fromMs: number, toMs: number): Promise<MinutePoint[]> {
    const items = await queryAll(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': { S: `METRIC#${tenant}#${stream}` },
        ':from': { S: minuteSk(fromMs) },
        ':to': { S: minuteSk(toMs) },
      },
    });
    return items.map((item) => {
      const point = { minute: Number(item.sk.S) } as MinutePoint;
      for (const f of COUNTER_FIELDS) point[f] = Number(item[f]?.N ?? 0);
      return point;
    });
  }
}
