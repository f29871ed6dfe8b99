import type { IngestResult } from './types.js';

/** Errors listed in one ingest answer; `rejected` and `errorsTotal` still count them all. */
export const MAX_RESULT_ERRORS = 100;
/** A path or message longer than this is cut (a key can be as long as a record). */
export const MAX_ERROR_TEXT = 1024;
/** Serialized bytes of the listed errors: keeps the stored replay far below DynamoDB's 400 KB item. */
export const MAX_ERRORS_BYTES = 64 * 1024;

type IngestError = IngestResult['errors'][number];

function cut(text: string): string {
  if (text.length <= MAX_ERROR_TEXT) return text;
  let end = MAX_ERROR_TEXT - 1;
  // Never split a surrogate pair: the cut text stays well-formed.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * Bounds the errors of an ingest answer: the first MAX_RESULT_ERRORS, each path and message cut to
 * MAX_ERROR_TEXT, and no more than MAX_ERRORS_BYTES in all. Every answer is bounded this way, with an
 * Idempotency-Key or without, so the first answer and its replay are the same body.
 */
export function boundErrors(
  errors: IngestError[],
): Pick<IngestResult, 'errors' | 'errorsTruncated' | 'errorsTotal'> {
  const kept: IngestError[] = [];
  let bytes = 2;
  for (const e of errors) {
    if (kept.length === MAX_RESULT_ERRORS) break;
    const bounded = { index: e.index, path: cut(e.path), message: cut(e.message) };
    const size = Buffer.byteLength(JSON.stringify(bounded)) + 1;
    if (bytes + size > MAX_ERRORS_BYTES) break;
    bytes += size;
    kept.push(bounded);
  }
  const exact =
    kept.length === errors.length &&
    kept.every((k, i) => k.path === errors[i].path && k.message === errors[i].message);
  if (exact) return { errors: kept };
  return { errors: kept, errorsTruncated: true, errorsTotal: errors.length };
}
