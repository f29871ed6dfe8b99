import { requireTenant } from '../auth/authorize.js';
import type { Ctx, VerbArgs } from '../context.js';
import {
  DependencyUnavailableError,
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
import { changeCounters } from '../monitoring/counters.js';
import { runIdempotent, type Attempt, type IdempotentOutcome } from './idempotency.js';
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

export type IngestOutcome = IdempotentOutcome;

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

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
  const { maxInFlight } = services.ingestSettings;
  const inFlight = services.ingest.inFlight;
  if (inFlight.count >= maxInFlight) {
    throw new OverloadedError(`too many ingest requests in progress (${maxInFlight}); retry shortly`, 1);
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
  const parsed = await parseRecordsBody({
    body: input.body,
    contentType: input.contentType,
    contentEncoding: input.contentEncoding,
    contentLength: input.contentLength,
    hash: input.idempotencyKey !== undefined,
    limits: services.ingestSettings.limits,
    loneRecord: stream.cdc !== undefined,
  });

  const batchId = services.ingest.nextBatchId();
  if (!input.idempotencyKey) {
    return validateAndStore(services, stream, parsed, input.atomic, batchId);
  }
  return runIdempotent(
    {
      store: services.idempotency,
      now: services.now,
      warn: (details, message) => services.logger.warn(details, message),
    },
    {
      tenant: input.tenant,
      stream: input.stream,
      key: input.idempotencyKey,
      fingerprint: `${parsed.sha256}:${input.atomic ? 'atomic' : 'partial'}`,
      batchId,
      run: (attempt) => validateAndStore(services, stream, parsed, input.atomic, batchId, attempt),
      recover: (stale) => recoverStored(services, stream, parsed, stale),
    },
  );
}

/**
 * A stale claim's request died after storing its batch but before recording its answer. The retry
 * carries the same bytes (the fingerprint matched), so validating them again under the stale batch
 * id gives the same errors; the counts come from the batch's receipt. `duplicates` was an in-memory
 * hint of the first answer and is not recoverable: it is 0.
 */
async function recoverStored(
  services: Services,
  stream: Stream,
  parsed: ParsedRecordsBody,
  stale: IdempotencyRecord,
): Promise<IngestOutcome | undefined> {
  if (!stale.batchId) return undefined;
  const receipt = await services.delivery.receipt(stream.tenant, stream.name, stale.batchId);
  if (!receipt) return undefined;
  const { errors, changes } = buildBatch(
    stream,
    services.ingest.validators.get(stream),
    parsed,
    stale.batchId,
    receipt.receivedAt,
  );
  const body: IngestResult = {
    batchId: stale.batchId,
    accepted: receipt.accepted,
    rejected: receipt.rejected,
    duplicates: 0,
    ...(changes ? { tombstones: changes.tombstones } : {}),
    ...boundErrors(errors),
  };
  return { status: receipt.accepted ? 200 : 422, body, replayed: false };
}

async function validateAndStore(
  services: Services,
  stream: Stream,
  parsed: ParsedRecordsBody,
  atomic: boolean,
  batchId: string,
  attempt?: Attempt,
): Promise<IngestOutcome> {
  const { batch, errors, keyIds, changes } = buildBatch(
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

  if (attempt && !attempt.inTime()) {
    // Storing now could race a retry that takes the claim over as stale.
    throw new DependencyUnavailableError('The request took too long to start storing; retry it.', 1);
  }
  if (attempt) batch.claim = attempt.claim;
  // A request of tombstones alone has nothing to store (and so no receipt).
  if (batch.recordCount || batch.rejectCount) await services.delivery.append(batch);
  attempt?.stored();
  // Counted only once stored: a refused request (429, 503) must not make its retry look like duplicates.
  const streamKey = `${stream.tenant}/${stream.name}`;
  let duplicates = 0;
  for (const id of keyIds) if (services.ingest.recentKeys.seen(streamKey, id)) duplicates++;
  const body: IngestResult = {
    batchId,
    accepted: batch.recordCount,
    rejected: batch.rejectCount,
    duplicates,
    ...(changes ? { tombstones: changes.tombstones } : {}),
    ...boundErrors(errors),
  };
  services.metrics.add(stream.tenant, stream.name, {
    received: parsed.records.length,
    accepted: batch.recordCount,
    rejected: batch.rejectCount,
    duplicates,
    ...(changes ? changeCounters(changes) : {}),
  });
  const taken = batch.recordCount + (changes?.tombstones ?? 0);
  return { status: taken ? 200 : 422, body, replayed: false };
}
