import type { FieldError } from '../errors.js';
import type { CdcSpec, SourcePosition } from '../streams/types.js';

/**
 * Reading Debezium change events (README, "Change data capture"). An event comes either in the JSON
 * converter's `{"schema": ..., "payload": {...}}` envelope or bare (`schemas.enable=false`, as
 * Debezium Server's HTTP sink sends it); its row image becomes the stored record, and the op and
 * source block become system columns.
 */

export type ChangeOp = 'c' | 'u' | 'd' | 'r';
export const CHANGE_OPS: readonly ChangeOp[] = ['c', 'u', 'd', 'r'];

export interface ChangeEvent {
  op: ChangeOp;
  /** The row image: `after` for c, u and r; `before` for d. */
  row: unknown;
  /** JSON Pointer of the row image inside the event, so errors name the event's own path. */
  rowPath: string;
  /** source.ts_ms as ISO-8601. */
  sourceTs: string;
  /** A decimal integer that sorts changes of one stream in source order (see sourcePosition). */
  position: string;
  /** What the source block says about where the change came from (db, table, server id, gtid...). */
  source: Record<string, unknown>;
}

/** Events of one request by op, and the tombstones among them (accepted, not stored). */
export interface ChangeCounts {
  c: number;
  u: number;
  d: number;
  r: number;
  tombstones: number;
}

export const emptyChangeCounts = (): ChangeCounts => ({ c: 0, u: 0, d: 0, r: 0, tombstones: 0 });

export type EventReading =
  | { kind: 'tombstone' }
  | { kind: 'change'; event: ChangeEvent }
  | { kind: 'invalid'; problems: FieldError[] };

/** Source-block fields kept in `_source`; the rest (version, connector name, query...) stay out. */
const KEPT_SOURCE_FIELDS = [
  'connector',
  'name',
  'db',
  'schema',
  'table',
  'snapshot',
  'server_id',
  'gtid',
  'file',
  'pos',
  'row',
  'thread',
  'txId',
  'lsn',
  'xmin',
] as const;

/*
 * Binlog coordinates as one DECIMAL(38,0): file sequence (10 digits), then pos (20: a uint64), then
 * row (8). Numbers rather than padded text, so both warehouses order them the same way without a
 * collation in play, and a reader can still take them apart.
 */
const FILE_SHIFT = 10n ** 28n;
const POS_SHIFT = 10n ** 8n;
const MAX_POS = 10n ** 20n;
const MAX_ROW = 10n ** 8n;
const BINLOG_FILE = /\.(\d{1,10})$/;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Takes one record of a cdc stream apart. Pure; the row image is validated by the caller. */
export function readChangeEvent(value: unknown, cdc: CdcSpec): EventReading {
  if (value === null) return { kind: 'tombstone' };
  if (!isObject(value)) {
    return { kind: 'invalid', problems: [{ path: '', message: 'a change event must be an object or null' }] };
  }
  // The envelope has `payload` and no `op`; a bare event has `op` at the top.
  const enveloped = Object.hasOwn(value, 'payload') && !Object.hasOwn(value, 'op');
  if (enveloped && value.payload === null) return { kind: 'tombstone' };
  const base = enveloped ? '/payload' : '';
  const payload = enveloped ? value.payload : value;
  if (!isObject(payload)) {
    return { kind: 'invalid', problems: [{ path: '/payload', message: 'must be an object or null' }] };
  }
  const problems: FieldError[] = [];
  const op = payload.op;
  if (op === undefined) problems.push({ path: `${base}/op`, message: 'required' });
  else if (typeof op !== 'string' || !(CHANGE_OPS as readonly string[]).includes(op)) {
    problems.push({
      path: `${base}/op`,
      message: `must be one of c, u, d, r (got ${JSON.stringify(op)?.slice(0, 40)})`,
    });
  }
  const image = op === 'd' ? 'before' : 'after';
  const row = payload[image];
  if (typeof op === 'string' && (CHANGE_OPS as readonly string[]).includes(op) && !isObject(row)) {
    problems.push({
      path: `${base}/${image}`,
      message: row === undefined || row === null ? `required for op ${op}` : 'must be an object',
    });
  }
  const source = payload.source;
  let sourceTs: string | undefined;
  let position: string | undefined;
  if (!isObject(source)) {
    problems.push({
      path: `${base}/source`,
      message: source === undefined ? 'required' : 'must be an object',
    });
  } else {
    if (!isCount(source.ts_ms))
      problems.push({ path: `${base}/source/ts_ms`, message: 'required: a non-negative integer (ms)' });
    else sourceTs = new Date(source.ts_ms).toISOString();
    position = positionOf(source, cdc.sourcePosition ?? detect(source), `${base}/source`, problems);
  }
  if (problems.length > 0 || sourceTs === undefined || position === undefined || !isObject(source)) {
    return { kind: 'invalid', problems };
  }
  const kept: Obj = {};
  for (const f of KEPT_SOURCE_FIELDS) if (Object.hasOwn(source, f)) kept[f] = source[f];
  return {
    kind: 'change',
    event: { op: op as ChangeOp, row, rowPath: `${base}/${image}`, sourceTs, position, source: kept },
  };
}

/** PostgreSQL events carry an LSN, MySQL's binlog coordinates; anything else orders by commit time. */
function detect(source: Obj): SourcePosition {
  if (source.lsn !== undefined && source.lsn !== null) return 'lsn';
  if (source.file !== undefined || source.pos !== undefined) return 'pos';
  return 'ts_ms';
}

function positionOf(
  source: Obj,
  mode: SourcePosition,
  path: string,
  problems: FieldError[],
): string | undefined {
  if (mode === 'ts_ms') return isCount(source.ts_ms) ? String(source.ts_ms) : undefined;
  if (mode === 'lsn') {
    if (isCount(source.lsn)) return String(source.lsn);
    problems.push({
      path: `${path}/lsn`,
      message: 'required: a non-negative integer (sourcePosition is lsn)',
    });
    return undefined;
  }
  const file = typeof source.file === 'string' ? BINLOG_FILE.exec(source.file) : null;
  const before = problems.length;
  if (!file)
    problems.push({
      path: `${path}/file`,
      message: 'required: a binlog file name ending in its sequence number, like mysql-bin.000003',
    });
  if (!isCount(source.pos) || BigInt(source.pos) >= MAX_POS)
    problems.push({
      path: `${path}/pos`,
      message: 'required: a non-negative integer (sourcePosition is pos)',
    });
  const row = source.row ?? 0;
  if (!isCount(row) || BigInt(row) >= MAX_ROW)
    problems.push({ path: `${path}/row`, message: 'must be a non-negative integer below 10^8' });
  if (problems.length > before || !file) return undefined;
  return (
    BigInt(file[1]) * FILE_SHIFT +
    BigInt(source.pos as number) * POS_SHIFT +
    BigInt(row as number)
  ).toString();
}
