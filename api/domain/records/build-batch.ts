import type { Stream } from '../streams/types.js';
import type { IngestBatch } from '../../ports.js';
import { recordIdFromBatch, recordIdFromKey } from './ids.js';
import { blockOfLines, NdjsonBlock } from './ndjson-block.js';
import type { IngestResult, ParsedRecordsBody } from './types.js';
import type { CompiledStream } from './validators.js';

export interface BuiltBatch {
  batch: IngestBatch;
  errors: IngestResult['errors'];
  /** The _id of every accepted record, when the stream has a dedupe key (for the duplicate count). */
  keyIds: string[];
}

const ASCII = /^[\x20-\x7e]*$/;

/**
 * Validates every record and turns the accepted ones into lake lines and the rejected ones into
 * quarantine lines, ready to be logged. Pure: nothing is stored here.
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
  for (let i = 0; i < records.length; i++) {
    const value = records[i];
    const problems = compiled.validate(value);
    if (problems) {
      for (const p of problems) errors.push({ index: i, path: p.path, message: p.message });
      rejects.push(
        `${head},"_index":${i},"record":${JSON.stringify(value)},"errors":${JSON.stringify(problems)}}`,
      );
      continue;
    }
    const record = value as Record<string, unknown>;
    let id: string;
    if (dedupeKey) {
      id = recordIdFromKey(
        stream.name,
        dedupeKey.map((k) => record[k]),
      );
      keyIds.push(id);
    } else {
      id = recordIdFromBatch(batchId, i);
    }
    const { declared, extra, keys } = compiled.split(record);
    const lineHead = `${idHead}${id}","_index":${i},"record":`;
    // Copied as it arrived when it holds exactly the keys JSON.parse kept (no duplicates) and nothing undeclared.
    if (spans && extra === undefined && spans.keys(i) === keys) {
      lines.addCopied(lineHead, spans.start(i), spans.end(i));
    } else {
      lines.addText(
        lineHead,
        extra ? `${JSON.stringify(declared)},"extra":${JSON.stringify(extra)}` : JSON.stringify(declared),
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
  };
}
