import type { Stream } from '../streams/types.js';
import type { IngestBatch } from '../../ports.js';
import type { FieldError } from '../errors.js';
import { emptyChangeCounts, readChangeEvent, type ChangeCounts, type ChangeEvent } from './debezium.js';
import { recordIdFromBatch, recordIdFromKey } from './ids.js';
import { blockOfLines, NdjsonBlock, sourceText } from './ndjson-block.js';
import {
  escapeLoneSurrogates,
  mergeProblems,
  readRecordText,
  readRecordValue,
  systemFieldProblems,
  type TextReading,
} from './text-policy.js';
import type { IngestResult, ParsedRecordsBody } from './types.js';
import type { CompiledStream } from './validators.js';

export interface BuiltBatch {
  batch: IngestBatch;
  errors: IngestResult['errors'];
  /** The _id of every accepted record, when the stream has a dedupe key (for the duplicate count). */
  keyIds: string[];
  /** In a cdc stream: accepted events by op, and the tombstones (accepted, not stored). */
  changes?: ChangeCounts;
}

const ASCII = /^[\x20-\x7e]*$/;
/** Errors kept per record in its quarantine line, so the line's size follows the record's, not its error count. */
export const MAX_LINE_ERRORS = 100;
const LINE_BREAK = /[\r\n]/;

/**
 * Validates every record under the schema and the text policy (text-policy.ts) and turns the
 * accepted ones into lake lines and the rejected ones into quarantine lines, ready to be logged.
 * Pure: nothing is stored here.
 */
export function buildBatch(
  stream: Stream,
  compiled: CompiledStream,
  parsed: ParsedRecordsBody,
  batchId: string,
  receivedAt: string,
): BuiltBatch {
  const { records, spans } = parsed;
  const head = `{"_tenant":${JSON.stringify(stream.tenant)},"_stream":${JSON.stringify(stream.name)},"_batch_id":"${batchId}","_received_at":"${receivedAt}","_schema_version":${stream.version}`;
  const idHead = `${head},"_id":"`;
  const dedupeKey = stream.dedupe?.key;

  const lines = new NdjsonBlock(parsed.source, ASCII.test(head));
  const rejects: string[] = [];
  const errors: IngestResult['errors'] = [];
  const keyIds: string[] = [];
  const cdc = stream.cdc;
  const changes = cdc ? emptyChangeCounts() : undefined;
  for (let i = 0; i < records.length; i++) {
    const value = records[i];
    // In a cdc stream the record is the event and what is validated and stored is its row image.
    let event: ChangeEvent | undefined;
    let problems: FieldError[] | null;
    if (cdc) {
      const read = readChangeEvent(value, cdc);
      if (read.kind === 'tombstone') {
        changes!.tombstones++;
        continue;
      }
      if (read.kind === 'invalid') problems = read.problems;
      else {
        event = read.event;
        problems = under(event.rowPath, compiled.validate(event.row));
      }
    } else {
      problems = compiled.validate(value);
    }
    const row = event ? event.row : value;
    const rowPath = event?.rowPath ?? '';
    let reading: TextReading | undefined;
    // Only records the byte scan marked are read again (all of them when there are no spans).
    if (!spans || spans.odd(i)) {
      reading = spans
        ? readRecordText(sourceText(parsed.source, spans.start(i), spans.end(i)), value)
        : readRecordValue(value);
      if (reading.problems.length > 0) problems = mergeProblems(reading.problems, problems);
    }
    let split: ReturnType<CompiledStream['split']> | undefined;
    if (!problems) {
      split = compiled.split(row as Record<string, unknown>);
      // Declared names never start with `_`, so only undeclared keys can name a system field.
      if (split.extra !== undefined) problems = under(rowPath, systemFieldProblems(split.extra, !!event));
    } else if (typeof row === 'object' && row !== null && !Array.isArray(row)) {
      const reserved = under(rowPath, systemFieldProblems(row as Record<string, unknown>, !!cdc));
      if (reserved) problems = [...problems, ...reserved];
    }
    if (problems || !split) {
      const list = problems ?? [];
      for (const p of list) errors.push({ index: i, path: p.path, message: p.message });
      rejects.push(
        `${head},"_index":${i},"record":${quarantineCopy(parsed, i, value, reading)},"errors":${lineErrors(list)}}`,
      );
      continue;
    }
    const record = row as Record<string, unknown>;
    let id: string;
    if (event && dedupeKey) {
      // A redelivered change has the same key and source position, so the same id.
      id = recordIdFromKey(stream.name, [...dedupeKey.map((k) => record[k]), event.position]);
      keyIds.push(id);
      changes![event.op]++;
    } else if (dedupeKey) {
      id = recordIdFromKey(
        stream.name,
        dedupeKey.map((k) => record[k]),
      );
      keyIds.push(id);
    } else {
      id = recordIdFromBatch(batchId, i);
    }
    const { declared, extra, keys } = split;
    const lineHead = `${idHead}${id}","_index":${i},"record":`;
    // Copied as it arrived when it holds exactly the keys JSON.parse kept (no duplicates) and nothing undeclared.
    if (!event && spans && extra === undefined && spans.keys(i) === keys) {
      lines.addCopied(lineHead, spans.start(i), spans.end(i));
    } else {
      lines.addText(
        lineHead,
        (extra ? `${JSON.stringify(declared)},"extra":${JSON.stringify(extra)}` : JSON.stringify(declared)) +
          (event ? changeColumns(event) : ''),
      );
    }
  }

  return {
    batch: {
      tenant: stream.tenant,
      stream: stream.name,
      batchId,
      receivedAt,
      schemaVersion: stream.version,
      buffering: stream.buffering,
      records: lines.toBuffer(),
      recordCount: lines.count,
      rejects: blockOfLines(rejects),
      rejectCount: rejects.length,
    },
    errors,
    keyIds,
    ...(changes ? { changes } : {}),
  };
}

/** The system columns of a change, as the tail of its lake line (after the record). */
function changeColumns(e: ChangeEvent): string {
  return `,"_op":"${e.op}","_source_ts":"${e.sourceTs}","_source_position":"${e.position}","_source":${JSON.stringify(e.source)}`;
}

/** Problems found in a row image, with paths inside the event that holds it. */
function under(prefix: string, problems: FieldError[] | null): FieldError[] | null {
  if (!problems || prefix === '') return problems;
  return problems.map((p) => ({ ...p, path: `${prefix}${p.path}` }));
}

/**
 * The rejected record as it arrived, on one line and loadable: its own text when the scan found it
 * clean and on one line, else the text policy's copy (minified, lone surrogates and overflowing
 * numbers made loadable).
 */
function quarantineCopy(
  parsed: ParsedRecordsBody,
  i: number,
  value: unknown,
  reading: TextReading | undefined,
): string {
  if (reading) return reading.copy;
  const { spans } = parsed;
  if (!spans) return escapeLoneSurrogates(JSON.stringify(value));
  const text = sourceText(parsed.source, spans.start(i), spans.end(i));
  return LINE_BREAK.test(text) ? readRecordText(text, value).copy : text;
}

function lineErrors(problems: ReadonlyArray<{ path: string; message: string }>): string {
  const kept =
    problems.length > MAX_LINE_ERRORS
      ? [
          ...problems.slice(0, MAX_LINE_ERRORS),
          { path: '', message: `${problems.length - MAX_LINE_ERRORS} more errors (see the ingest response)` },
        ]
      : problems;
  return escapeLoneSurrogates(JSON.stringify(kept));
}
