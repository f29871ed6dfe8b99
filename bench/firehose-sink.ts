import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Firehose endpoint for benches: it speaks enough of the JSON 1.1 protocol for the real SDK client's
 * PutRecordBatch, accepts every record and counts what Firehose would bill. Limits and fault injection
 * are test/support/firehose-stub.ts's job (bench/ imports nothing from test/).
 */
export interface FirehoseSink {
  readonly endpoint: string;
  /** Firehose records accepted, their bytes (before base64), and their bytes rounded up to 5 KB each. */
  totals(): { calls: number; records: number; bytes: number; billedBytes: number };
  close(): Promise<void>;
}

/** Firehose bills every record rounded up to the next 5 KB. */
const BILLING_INCREMENT = 5 * 1024;

export async function startFirehoseSink(): Promise<FirehoseSink> {
  const totals = { calls: 0, records: 0, bytes: 0, billedBytes: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        Records?: { Data: string }[];
        Record?: { Data: string };
      };
      const records = body.Records ?? (body.Record ? [body.Record] : []);
      totals.calls++;
      for (const r of records) {
        const bytes = Buffer.from(r.Data, 'base64').length;
        totals.records++;
        totals.bytes += bytes;
        totals.billedBytes += Math.ceil(bytes / BILLING_INCREMENT) * BILLING_INCREMENT;
      }
      const id = () => randomBytes(32).toString('base64');
      const single = String(req.headers['x-amz-target'] ?? '').endsWith('.PutRecord');
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify(
          single
            ? { RecordId: id(), Encrypted: false }
            : {
                FailedPutCount: 0,
                Encrypted: false,
                RequestResponses: records.map(() => ({ RecordId: id() })),
              },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    totals: () => ({ ...totals }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
