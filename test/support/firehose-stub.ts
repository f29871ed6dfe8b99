/**
 * A local stand-in for Amazon Data Firehose: a node:http server speaking the JSON 1.1 protocol for
 * PutRecord and PutRecordBatch, so tests drive the real SDK client. It enforces the service's hard
 * limits the way AWS answers them, records every call, and injects faults on demand.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The service's documented limits. */
export const STUB_LIMITS = {
  maxRecordsPerCall: 500,
  /** Sum of the records' data (before base64) in one PutRecordBatch. */
  maxBytesPerCall: 4 * 1024 * 1024,
  /** One record's data before base64. */
  maxRecordBytes: 1000 * 1024,
} as const;

export type StubFault =
  /** Answer 200 but fail the entries `fail` picks, with ServiceUnavailableException. */
  | { kind: 'entries'; fail: (data: Buffer, index: number) => boolean }
  /** HTTP 500 InternalFailure. */
  | { kind: 'http500' }
  /** HTTP 503 ServiceUnavailableException ("Slow down."), as Firehose throttles. */
  | { kind: 'throttle' }
  /** Never answer; the client's timeout (or abort) has to end the call. */
  | { kind: 'hang' }
  /**
   * Take the records (each gets a RecordId and counts as delivered) but never answer, as when the
   * response is lost on its way back: the client gives up and resends records Firehose already has.
   */
  | { kind: 'lostAnswer' };

export type StubOutcome = 'ok' | 'partial' | 'http500' | 'throttle' | 'hang' | 'lostAnswer' | 'invalid';

export interface StubCall {
  operation: 'PutRecord' | 'PutRecordBatch';
  streamName: string;
  /** Decoded data of each record, in request order. */
  records: Buffer[];
  outcome: StubOutcome;
  /** The RecordId given to each record, or undefined for a failed entry. */
  recordIds: Array<string | undefined>;
  /** The error type, when the whole call failed. */
  errorType?: string;
}

export interface FirehoseStub {
  readonly endpoint: string;
  readonly calls: StubCall[];
  /** Queues a fault for the next `times` requests (Infinity: until cleared). */
  fail(fault: StubFault, times?: number): void;
  /**
   * Picks the fault of each valid request once the queue is empty (undefined: answer normally), e.g.
   * a seeded random mix for a soak; `setPolicy(undefined)` turns it off.
   */
  setPolicy(pick: ((call: StubCall) => StubFault | undefined) | undefined): void;
  clearFaults(): void;
  /** Records given a RecordId on a stream, in the order they were accepted. */
  delivered(streamName: string): Buffer[];
  close(): Promise<void>;
}

interface QueuedFault {
  fault: StubFault;
  remaining: number;
}

class StubError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const TARGET_PREFIX = 'Firehose_20150804.';

/** Starts the stub on 127.0.0.1 with an ephemeral port. Unknown stream names get ResourceNotFoundException. */
export async function startFirehoseStub(opts: { streams: string[] }): Promise<FirehoseStub> {
  const streams = new Set(opts.streams);
  const calls: StubCall[] = [];
  const faults: QueuedFault[] = [];
  const accepted = new Map<string, Buffer[]>();
  const hanging = new Set<http.ServerResponse>();
  let policy: ((call: StubCall) => StubFault | undefined) | undefined;

  const nextFault = (call: StubCall): StubFault | undefined => {
    const head = faults[0];
    if (!head) return policy?.(call);
    head.remaining -= 1;
    if (head.remaining <= 0) faults.shift();
    return head.fault;
  };

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomBytes(8).toString('hex'),
    });
    res.end(text);
  };

  const sendError = (res: http.ServerResponse, err: StubError): void => {
    send(res, err.status, { __type: err.type, message: err.message });
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
      throw new StubError(400, 'SerializationException', 'Expected Content-Type application/x-amz-json-1.1');
    }
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (operation !== 'PutRecord' && operation !== 'PutRecordBatch') {
      throw new StubError(400, 'UnknownOperationException', `Unknown operation ${target}`);
    }
    const body = parseBody(raw);
    const streamName = typeof body.DeliveryStreamName === 'string' ? body.DeliveryStreamName : '';
    const entries =
      operation === 'PutRecord' ? [body.Record] : Array.isArray(body.Records) ? body.Records : [];
    const records = entries.map((entry, i) => decodeData(entry, i));
    const call: StubCall = {
      operation,
      streamName,
      records,
      outcome: 'ok',
      recordIds: records.map(() => undefined),
    };
    calls.push(call);

    const invalid = validate(
      operation,
      streamName,
      records,
      Array.isArray(body.Records) || operation === 'PutRecord',
    );
    if (invalid) {
      call.outcome = 'invalid';
      call.errorType = invalid.type;
      throw invalid;
    }
    if (!streams.has(streamName)) {
      call.outcome = 'invalid';
      call.errorType = 'ResourceNotFoundException';
      throw new StubError(
        400,
        'ResourceNotFoundException',
        `Firehose ${streamName} under account 123456789012 not found.`,
      );
    }

    const fault = nextFault(call);
    const hang = () => {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
    };
    if (fault?.kind === 'hang') {
      call.outcome = 'hang';
      hang();
      return;
    }
    if (fault?.kind === 'http500') {
      call.outcome = 'http500';
      call.errorType = 'InternalFailure';
      throw new StubError(
        500,
        'InternalFailure',
        'The request processing has failed because of an unknown error.',
      );
    }
    if (fault?.kind === 'throttle') {
      call.outcome = 'throttle';
      call.errorType = 'ServiceUnavailableException';
      throw new StubError(503, 'ServiceUnavailableException', 'Slow down.');
    }

    const failEntry = fault?.kind === 'entries' ? fault.fail : () => false;
    const responses = records.map((data, i) => {
      if (failEntry(data, i)) return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      const id = randomBytes(24).toString('base64');
      call.recordIds[i] = id;
      const list = accepted.get(streamName) ?? [];
      list.push(data);
      accepted.set(streamName, list);
      return { RecordId: id };
    });
    const failed = responses.filter((r) => 'ErrorCode' in r).length;
    if (failed > 0) call.outcome = 'partial';
    if (fault?.kind === 'lostAnswer') {
      call.outcome = 'lostAnswer';
      hang();
      return;
    }

    if (operation === 'PutRecord') {
      const only = responses[0];
      if (only && 'ErrorCode' in only) throw new StubError(503, 'ServiceUnavailableException', 'Slow down.');
      send(res, 200, { RecordId: only?.RecordId, Encrypted: false });
      return;
    }
    send(res, 200, { FailedPutCount: failed, Encrypted: false, RequestResponses: responses });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (err) {
        if (err instanceof StubError) sendError(res, err);
        else sendError(res, new StubError(500, 'InternalFailure', String(err)));
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    fail(fault, times = 1) {
      faults.push({ fault, remaining: times });
    },
    clearFaults() {
      faults.length = 0;
    },
    setPolicy(pick) {
      policy = pick;
    },
    delivered(streamName) {
      return [...(accepted.get(streamName) ?? [])];
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

function parseBody(raw: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new StubError(400, 'SerializationException', 'Request body is not a JSON object');
}

function decodeData(entry: unknown, index: number): Buffer {
  const data = entry && typeof entry === 'object' ? (entry as { Data?: unknown }).Data : undefined;
  if (typeof data !== 'string') {
    throw new StubError(
      400,
      'ValidationException',
      `1 validation error detected: Value null at 'records.${index + 1}.member.data' failed to satisfy constraint: Member must not be null`,
    );
  }
  return Buffer.from(data, 'base64');
}

/** The checks AWS makes before looking at the stream, with its error types and wording. */
function validate(
  operation: string,
  streamName: string,
  records: Buffer[],
  hasRecords: boolean,
): StubError | undefined {
  if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(streamName)) {
    return new StubError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${streamName}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
    );
  }
  if (!hasRecords || records.length === 0) {
    return new StubError(
      400,
      'ValidationException',
      "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (operation === 'PutRecordBatch' && records.length > STUB_LIMITS.maxRecordsPerCall) {
    return new StubError(
      400,
      'ValidationException',
      `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${STUB_LIMITS.maxRecordsPerCall}`,
    );
  }
  const tooBig = records.findIndex((r) => r.length > STUB_LIMITS.maxRecordBytes);
  if (tooBig >= 0) {
    return new StubError(
      400,
      'ValidationException',
      `1 validation error detected: Value at 'records.${tooBig + 1}.member.data' failed to satisfy constraint: Member must have length less than or equal to ${STUB_LIMITS.maxRecordBytes}`,
    );
  }
  const total = records.reduce((sum, r) => sum + r.length, 0);
  if (total > STUB_LIMITS.maxBytesPerCall) {
    return new StubError(400, 'InvalidArgumentException', `Records size exceeds 4 MB limit`);
  }
  return undefined;
}
