import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export function docItem(pk: string, sk: string, doc: unknown, extra: Item = {}): Item {
  return { pk: { S: pk }, sk: { S: sk }, doc: { S: JSON.stringify(doc) }, ...extra };
}

export function readDoc<T>(item: Item | undefined): T | undefined {
  const s = item?.doc?.S;
  return s === undefined ? undefined : (JSON.parse(s) as T);
}

export const key = (pk: string, sk: string): Item => ({ pk: { S: pk }, sk: { S: sk } });
