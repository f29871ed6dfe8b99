import { requireTenant } from '../auth/authorize.js';
import type { Ctx, VerbArgs } from '../context.js';
import {
  IdempotencyConflictError,
  InvalidInputError,
  OverloadedError,
  RecordsRejectedError,
  StreamGoneError,
} from '../errors.js';
import { loadStream } from '../streams/load-stream.js';
import type { Stream } from '../streams/types.js';
import type { IdempotencyRecord } from '../../ports.js';
import type { Services } from '../../services.js';
import { parseRecordsBody } from './parse-body.js';
import type { BodySource } from './read-body.js';
import { buildBatch } from './build-batch.js';
import { boundErrors } from './ingest-result.js';
import type { IngestResult, ParsedRecordsBody } from './types.js';

export interface IngestInput {
  tenant: string;
  stream: string;
  atomic: boolean;
  idempotencyKey?: string;
  body: BodySource | null;
  contentType?: string;
  contentEncoding?: string;
  contentLength?: string;
}

export interface IngestOutcome {
  status: 200 | 422;
  body: IngestResult;
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
/** A pending claim older than this belonged to a request that died; a retry may take it over. */
const STALE_CLAIM_MS = 60_000;

/**
 * Validates every record, and answers only after the accepted records and the quarantined rejects are
 * durable. A fully rejected batch is 422 with the same body; an atomic batch with any reject stores nothing.
 */
export async function ingestRecords({ ctx, input }: VerbArgs<IngestInput>): Promise<IngestOutcome> {
  requireTenant(ctx, input.tenant, 'produce', input.stream);
  const { services } = ctx;
  const stream = await loadStream(ctx, input.tenant, input.stream);
  if (stream.deletedAt)
    throw new StreamGoneError(`Stream '${input.stream}' was deleted; it takes no more records.`);
  if (input.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
    throw new InvalidInputError('Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 . _ : -', [
      { path: 'header.Idempotency-Key', message: 'must match ^[A-Za-z0-9._:-]{1,128}$' },
    ]);
  }
  const c = services.config;
  const inFlight = services.ingest.inFlight;
  if (inFlight.count >= c.TRIBUTARY_MAX_INFLIGHT_REQUESTS) {
    throw new OverloadedError(
      `too many ingest requests in progress (${c.TRIBUTARY_MAX_INFLIGHT_REQUESTS}); retry shortly`,
      1,
    );
  }
  inFlight.count++;
  try {
    // Before the body is read: under overload, parsing what will be refused is pure waste.
    await services.delivery.admit();
    return await ingestWithin(ctx, input, stream);
  } finally {
    inFlight.count--;
  }
}

async function ingestWithin(ctx: Ctx, input: IngestInput, stream: Stream): Promise<IngestOutcome> {
  const { services } = ctx;
  const c = services.config;
  const parsed = await parseRecordsBody({
    body: input.body,
    contentType: input.contentType,
    contentEncoding: input.contentEncoding,
    contentLength: input.contentLength,
    hash: input.idempotencyKey !== undefined,
    limits: {
      maxBodyBytes: c.TRIBUTARY_MAX_BODY_BYTES,
      maxDecompressedBytes: c.TRIBUTARY_MAX_DECOMPRESSED_BYTES,
      maxRecordBytes: c.TRIBUTARY_MAX_RECORD_BYTES,
      maxRecords: c.TRIBUTARY_MAX_RECORDS,
      maxDepth: 32,
    },
  });

  let claim: IdempotencyRecord | undefined;
  if (input.idempotencyKey) {
    const fingerprint = `${parsed.sha256}:${input.atomic ? 'atomic' : 'partial'}`;
    claim = {
      tenant: input.tenant,
      stream: input.stream,
      key: input.idempotencyKey,
      fingerprint,
      state: 'pending',
      createdAt: services.now().toISOString(),
    };
    const replay = await claimIdempotency(services, claim);
    if (replay) return replay;
  }

  try {
    const outcome = await validateAndStore(services, stream, parsed, input.atomic);
    if (claim)
      await services.idempotency.complete({
        ...claim,
        state: 'done',
        result: { status: outcome.status, body: outcome.body },
      });
    return outcome;
  } catch (err) {
    // Nothing was acknowledged, so the same request may be retried under the same key.
    if (claim) await services.idempotency.release(claim).catch(() => undefined);
    throw err;
  }
}

async function claimIdempotency(
  services: Services,
  claim: IdempotencyRecord,
): Promise<IngestOutcome | undefined> {
  const existing = await services.idempotency.claim(claim);
  if (!existing) return undefined;
  if (existing.fingerprint !== claim.fingerprint) {
    throw new IdempotencyConflictError(
      `Idempotency-Key '${claim.key}' was already used with a different request body.`,
    );
  }
  if (existing.state === 'done' && existing.result) {
    return { status: existing.result.status as 200 | 422, body: existing.result.body, replayed: true };
  }
  if (services.now().getTime() - Date.parse(existing.createdAt) < STALE_CLAIM_MS) {
    throw new IdempotencyConflictError(
      `A request with Idempotency-Key '${claim.key}' is still in progress; retry shortly.`,
    );
  }
  await services.idempotency.complete(claim);
  return undefined;
}

async function validateAndStore(
  services: Services,
  stream: Stream,
  parsed: ParsedRecordsBody,
  atomic: boolean,
): Promise<IngestOutcome> {
  const batchId = services.ingest.nextBatchId();
  const { batch, errors, keyIds } = buildBatch(
    stream,
    services.ingest.validators.get(stream),
    parsed,
    batchId,
    services.now().toISOString(),
  );
  if (atomic && batch.rejectCount) {
    throw new RecordsRejectedError('Atomic batch rejected: nothing was stored.', {
      batchId,
      accepted: 0,
      rejected: batch.rejectCount,
      duplicates: 0,
      ...boundErrors(errors),
    });
  }

  await services.delivery.append(batch);
  // Counted only once stored: a refused request (429, 503) must not make its retry look like duplicates.
  const streamKey = `${stream.tenant}/${stream.name}`;
  let duplicates = 0;
  for (const id of keyIds) if (services.ingest.recentKeys.seen(streamKey, id)) duplicates++;
  const body: IngestResult = {
    batchId,
    accepted: batch.recordCount,
    rejected: batch.rejectCount,
    duplicates,
    ...boundErrors(errors),
  };
  services.metrics.add(stream.tenant, stream.name, {
    received: parsed.records.length,
    accepted: batch.recordCount,
    rejected: batch.rejectCount,
    duplicates,
  });
  return { status: batch.recordCount ? 200 : 422, body, replayed: false };
}
