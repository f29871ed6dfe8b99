import path from 'node:path';

export type Format = 'ndjson' | 'json' | 'csv';
export const FORMATS: readonly Format[] = ['ndjson', 'json', 'csv'];

/** One record read from an input, with where it lies in the (decompressed) bytes. */
export type Item =
  | { kind: 'json'; text: Buffer; line: number; end: number; endLine: number }
  | { kind: 'csv'; row: Record<string, string>; line: number; end: number; endLine: number }
  | { kind: 'invalid'; error: string; raw: string; line: number; end: number; endLine: number };

/** Where to start reading: a byte offset just past an item (0 = the start) and the lines before it. */
export interface ReadFrom {
  offset: number;
  line: number;
  /** CSV only: the header, read at the start and kept for a resumed read that starts past it. */
  columns?: string[];
}

/** A record longer than this is refused without buffering it, so memory stays bounded on any input. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** How much of a refused record a reject shows. */
export const MAX_RAW_CHARS = 1024;

export function rawText(bytes: Buffer): string {
  const text = bytes.subarray(0, MAX_RAW_CHARS * 4).toString('utf8');
  return text.length > MAX_RAW_CHARS ? `${text.slice(0, MAX_RAW_CHARS)}…` : text;
}

/** The format a file name implies (after any .gz), or undefined. */
export function formatOfName(file: string): Format | undefined {
  const base = path.basename(file).toLowerCase().replace(/\.gz$/, '');
  if (/\.(ndjson|jsonl)$/.test(base)) return 'ndjson';
  if (base.endsWith('.json')) return 'json';
  if (base.endsWith('.csv')) return 'csv';
  return undefined;
}
