import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResponseParser, type ParsedResponse } from '../../client/http1-parser.js';

/** The answer's bytes framed one way or another, with 1xx answers before it when asked. */
function wire(body: Buffer, framing: 'length' | 'chunked', chunks: number[], informational: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < informational; i++) parts.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'));
  if (framing === 'length') {
    parts.push(
      Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-A: 1\r\nx-a: 2\r\n\r\n`),
      body,
    );
  } else {
    parts.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n'));
    let at = 0;
    for (const size of chunks) {
      const n = Math.min(size, body.length - at);
      if (n <= 0) break;
      parts.push(Buffer.from(`${n.toString(16)};x=y\r\n`), body.subarray(at, at + n), Buffer.from('\r\n'));
      at += n;
    }
    if (at < body.length) {
      parts.push(
        Buffer.from(`${(body.length - at).toString(16)}\r\n`),
        body.subarray(at),
        Buffer.from('\r\n'),
      );
    }
    parts.push(Buffer.from('0\r\nTrailer: t\r\n\r\n'));
  }
  return Buffer.concat(parts);
}

/** Feeds `bytes` cut at `cuts`; answers every response the parser completed, in order. */
function feed(parser: ResponseParser, bytes: Buffer, cuts: number[]): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    if (cut < at) continue;
    const res = parser.push(bytes.subarray(at, cut));
    if (res) out.push(res);
    at = cut;
  }
  return out;
}

describe('ResponseParser', () => {
  it('reads the same answer however its bytes are cut, framed by length or in chunks, after 1xx answers', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom('length' as const, 'chunked' as const),
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, framing, chunks, informational, cuts) => {
          const body = Buffer.from(bytes);
          const parser = new ResponseParser();
          parser.expect('POST');
          const got = feed(parser, wire(body, framing, chunks, informational), cuts);
          expect(got).toHaveLength(1);
          expect(got[0].status).toBe(200);
          expect(got[0].headers.get('x-a')).toBe('1, 2');
          expect(got[0].keepAlive).toBe(true);
          expect(Buffer.compare(got[0].body, body)).toBe(0);
          expect(parser.hasLeftover).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses what is not HTTP/1.x: a bad status line, header line, Content-Length or chunk size', () => {
    const bad = [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n',
    ];
    for (const text of bad) {
      const parser = new ResponseParser();
      parser.expect('GET');
      expect(() => parser.push(Buffer.from(text)), text).toThrow();
    }
  });

  it('ends a body without framing at the end of the connection, and not keep-alive', () => {
    const parser = new ResponseParser();
    parser.expect('GET');
    expect(parser.push(Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome'))).toBeUndefined();
    expect(parser.push(Buffer.from(' more'))).toBeUndefined();
    const res = parser.end()!;
    expect(res.body.toString()).toBe('some more');
    expect(res.keepAlive).toBe(false);
  });
});
