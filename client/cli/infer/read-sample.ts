import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { csvItems } from '../input/csv.js';
import type { Format, Item } from '../input/items.js';
import { jsonArrayItems } from '../input/json-array.js';
import { ndjsonItems } from '../input/ndjson.js';
import { openInput } from '../input/open.js';
import type { Sample } from './observe.js';

const UNREADABLE = Symbol('unreadable');

/** A record's value, or UNREADABLE for text that is not UTF-8 JSON (infer skips it and says so). */
function valueOf(item: Item): unknown {
  if (item.kind === 'csv') return item.row;
  if (item.kind !== 'json' || !isUtf8(item.text)) return UNREADABLE;
  try {
    return JSON.parse(item.text.toString('utf8')) as unknown;
  } catch {
    return UNREADABLE;
  }
}

/** Feeds up to `limit` records of one input into `sample`; returns how many it read and how many it skipped. */
export async function readSample(
  file: string,
  format: Format,
  stdin: Readable,
  sample: Sample,
  limit: number,
): Promise<{ read: number; unreadable: number }> {
  const input = await openInput(file, stdin, 0);
  const from = { offset: 0, line: 0 };
  const items =
    format === 'csv'
      ? csvItems(input.chunks, from)
      : format === 'json'
        ? jsonArrayItems(input.chunks, from)
        : ndjsonItems(input.chunks, from);
  let read = 0;
  let unreadable = 0;
  try {
    for await (const list of items) {
      for (const item of list) {
        if (read >= limit) return { read, unreadable };
        const value = valueOf(item);
        if (value === UNREADABLE) unreadable++;
        else {
          if (item.kind === 'csv') sample.addCsvRow(item.row);
          else sample.add(value);
          read++;
        }
      }
      if (read >= limit) break;
    }
  } finally {
    input.close();
  }
  return { read, unreadable };
}
