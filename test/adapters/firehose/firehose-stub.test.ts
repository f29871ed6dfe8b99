/** The stub answers the real SDK client the way Firehose does, and the adapter classifies those answers. */
import { PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIREHOSE_LIMITS, isRetryable } from '../../../api/adapters/firehose/index.js';
import { STUB_LIMITS, startFirehoseStub } from '../../support/firehose-stub.js';
import type { FirehoseStub } from '../../support/firehose-stub.js';
import { RAW_STREAM, stubClient } from './harness.js';

let stub: FirehoseStub;
let client: FirehoseClient;
let impatient: FirehoseClient;

beforeAll(async () => {
  stub = await startFirehoseStub({ streams: [RAW_STREAM] });
  client = stubClient(stub.endpoint, 10_000);
  impatient = stubClient(stub.endpoint, 300);
});
afterEach(() => {
  stub.calls.splice(0);
  stub.clearFaults();
  stub.setPolicy(undefined);
});
afterAll(async () => {
  client.destroy();
  impatient.destroy();
  await stub.close();
});

const put = (records: Buffer[], streamName = RAW_STREAM, via = client) =>
  via.send(
    new PutRecordBatchCommand({ DeliveryStreamName: streamName, Records: records.map((Data) => ({ Data })) }),
  );
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
  );

describe('firehose stub', () => {
  it('matches the limits the adapter packs to', () => {
    expect(FIREHOSE_LIMITS).toEqual(STUB_LIMITS);
  });

  it('answers PutRecordBatch and PutRecord with RecordIds and records the decoded data', async () => {
    const out = await put([Buffer.from('a\n'), Buffer.from('b\n')]);
    expect(out.FailedPutCount).toBe(0);
    expect(out.RequestResponses?.map((r) => typeof r.RecordId)).toEqual(['string', 'string']);
    const single = await client.send(
      new PutRecordCommand({ DeliveryStreamName: RAW_STREAM, Record: { Data: Buffer.from('c\n') } }),
    );
    expect(single.RecordId).toEqual(expect.any(String));
    expect(stub.calls.map((c) => [c.operation, c.records.map(String)])).toEqual([
      ['PutRecordBatch', ['a\n', 'b\n']],
      ['PutRecord', ['c\n']],
    ]);
  });

  it('reports failed entries in place, with FailedPutCount', async () => {
    stub.fail({ kind: 'entries', fail: (_d, i) => i === 1 });
    const out = await put([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
    expect(out.FailedPutCount).toBe(1);
    expect(out.RequestResponses?.[1]).toEqual({
      ErrorCode: 'ServiceUnavailableException',
      ErrorMessage: 'Slow down.',
    });
    expect(stub.delivered(RAW_STREAM).slice(-2).map(String)).toEqual(['a', 'c']);
  });

  it('enforces the hard limits with the errors AWS uses, which retrying cannot fix', async () => {
    const tooMany = await failure(
      put(Array.from({ length: STUB_LIMITS.maxRecordsPerCall + 1 }, () => Buffer.from('x'))),
    );
    const tooLarge = await failure(put([Buffer.alloc(STUB_LIMITS.maxRecordBytes + 1, 0x61)]));
    const callTooLarge = await failure(
      put(Array.from({ length: 5 }, () => Buffer.alloc(STUB_LIMITS.maxRecordBytes, 0x61))),
    );
    const missing = await failure(put([Buffer.from('x')], 'no-such-stream'));
    expect(tooMany).toMatchObject({ name: 'ValidationException' });
    expect(tooLarge).toMatchObject({ name: 'ValidationException' });
    expect(callTooLarge).toMatchObject({ name: 'InvalidArgumentException' });
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException' });
    for (const err of [tooMany, tooLarge, callTooLarge, missing]) expect(isRetryable(err)).toBe(false);
    // At the limits exactly, the call passes.
    const full = await put(Array.from({ length: 4 }, () => Buffer.alloc(STUB_LIMITS.maxRecordBytes, 0x61)));
    expect(full.FailedPutCount).toBe(0);
  });

  it('throttles with 503, fails with 500 and hangs, all of which are worth retrying', async () => {
    stub.fail({ kind: 'throttle' });
    stub.fail({ kind: 'http500' });
    stub.fail({ kind: 'hang' });
    const throttled = await failure(put([Buffer.from('x')]));
    const broken = await failure(put([Buffer.from('x')]));
    const hung = await failure(put([Buffer.from('x')], RAW_STREAM, impatient));
    expect(throttled).toMatchObject({
      name: 'ServiceUnavailableException',
      $metadata: { httpStatusCode: 503 },
    });
    expect(broken?.$metadata?.httpStatusCode).toBe(500);
    expect(hung).toMatchObject({ name: 'TimeoutError' });
    for (const err of [throttled, broken, hung]) expect(isRetryable(err)).toBe(true);
    expect(stub.calls.map((c) => c.outcome)).toEqual(['throttle', 'http500', 'hang']);
  });

  it('loses an answer after taking the records: they count as delivered though the client timed out', async () => {
    stub.fail({ kind: 'lostAnswer' });
    const before = stub.delivered(RAW_STREAM).length;
    const lost = await failure(put([Buffer.from('kept\n')], RAW_STREAM, impatient));
    expect(lost).toMatchObject({ name: 'TimeoutError' });
    expect(isRetryable(lost)).toBe(true);
    expect(stub.delivered(RAW_STREAM).slice(before).map(String)).toEqual(['kept\n']);
    expect(stub.calls.map((c) => [c.outcome, c.recordIds.every(Boolean)])).toEqual([['lostAnswer', true]]);
  });

  it('asks the policy for a fault once the queue is empty', async () => {
    stub.fail({ kind: 'throttle' });
    stub.setPolicy((call) => (call.records.length > 1 ? { kind: 'http500' } : undefined));
    await failure(put([Buffer.from('a')]));
    await failure(put([Buffer.from('a'), Buffer.from('b')]));
    await put([Buffer.from('c')]);
    expect(stub.calls.map((c) => c.outcome)).toEqual(['throttle', 'http500', 'ok']);
  });
});
