import { stringify } from 'yaml';
import { println } from './io.js';

export type RowFormat = 'table' | 'ndjson' | 'csv';
export const ROW_FORMATS: readonly RowFormat[] = ['table', 'ndjson', 'csv'];

/** A long cell would push every other column off the screen; the full value is in ndjson/csv. */
const MAX_CELL = 60;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function cut(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

/** The columns of a set of rows: every key, in the order first seen. */
export function columnsOf(rows: Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

export function renderTable(rows: Record<string, unknown>[], columns = columnsOf(rows)): string {
  const cells = rows.map((r) => columns.map((c) => cut(cellText(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside. */
function csvField(v: unknown): string {
  const text = cellText(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(rows: Record<string, unknown>[], columns = columnsOf(rows)): string {
  return [
    columns.map(csvField).join(','),
    ...rows.map((r) => columns.map((c) => csvField(r[c])).join(',')),
  ].join('\n');
}

export function printRows(
  out: NodeJS.WritableStream,
  rows: Record<string, unknown>[],
  format: RowFormat,
  columns?: string[],
): void {
  if (format === 'ndjson') {
    for (const r of rows) println(out, JSON.stringify(r));
    return;
  }
  if (format === 'table' && rows.length === 0) return println(out, '(none)');
  println(out, format === 'csv' ? renderCsv(rows, columns) : renderTable(rows, columns));
}

export function printJson(out: NodeJS.WritableStream, value: unknown): void {
  println(out, JSON.stringify(value, null, 2));
}

export function printYaml(out: NodeJS.WritableStream, value: unknown): void {
  out.write(stringify(value, { lineWidth: 0 }));
}
