import { blockOfLines } from '../../api/domain/records/ndjson-block.js';
import type { IngestBatch } from '../../api/ports.js';

/** The lines of an NDJSON block (each newline-terminated), without their newlines. */
export function linesOf(block: Buffer): string[] {
  const text = block.toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/** An IngestBatch (schema version 1) whose record and reject lines are given as strings. */
export function batchOfLines(
  meta: Pick<IngestBatch, 'tenant' | 'stream' | 'batchId' | 'receivedAt' | 'buffering'>,
  records: readonly string[],
  rejects: readonly string[],
): IngestBatch {
  return {
    ...meta,
    schemaVersion: 1,
    records: blockOfLines(records),
    recordCount: records.length,
    rejects: blockOfLines(rejects),
    rejectCount: rejects.length,
  };
}
