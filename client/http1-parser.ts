/** A whole HTTP/1.x answer. */
export interface ParsedResponse {
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  body: Buffer;
  /** The connection may carry the next exchange. */
  keepAlive: boolean;
}

/** Far above any answer the API gives; a longer head is a broken or hostile peer. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;

type Framing =
  | { kind: 'length'; left: number }
  | { kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailer'; left: number }
  | { kind: 'close' };

export class HttpParseError extends Error {
  readonly code = 'HPE_INVALID';
}

/**
 * Reads one answer at a time from the bytes of a connection, whatever way they are cut into chunks:
 * the status line and headers, then a body framed by Content-Length, chunked transfer coding, or the
 * connection's end. 1xx answers before the final one are skipped.
 */
export class ResponseParser {
  private method = 'GET';
  private buf: Buffer = Buffer.alloc(0);
  private head?: Omit<ParsedResponse, 'body'>;
  private framing?: Framing;
  private parts: Buffer[] = [];

  /** Starts reading the answer to a request of `method` (HEAD answers have no body). */
  expect(method: string): void {
    this.method = method;
    this.buf = Buffer.alloc(0);
    this.head = undefined;
    this.framing = undefined;
    this.parts = [];
  }

  /** Bytes were left after the answer: the peer sent more than was asked for. */
  get hasLeftover(): boolean {
    return this.buf.length > 0;
  }

  /** Takes the next bytes; answers the response once it is whole. Throws HttpParseError on garbage. */
  push(chunk: Buffer): ParsedResponse | undefined {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (!this.head) {
        const end = this.buf.indexOf(CRLF2);
        if (end < 0) {
          if (this.buf.length > MAX_HEAD_BYTES) throw new HttpParseError('the answer’s headers are too long');
          return undefined;
        }
        const head = this.parseHead(this.buf.toString('latin1', 0, end));
        this.buf = this.buf.subarray(end + 4);
        // 1xx: informational, the final answer follows on the same connection.
        if (head.status < 200 && head.status !== 101) continue;
        this.head = head;
        this.framing = this.framingOf(head);
      }
      const done = this.body();
      if (done) return done;
      return undefined;
    }
  }

  /** The connection ended: completes an answer whose body runs to the end, else there is none. */
  end(): ParsedResponse | undefined {
    if (this.head && this.framing?.kind === 'close') {
      this.parts.push(this.buf);
      this.buf = Buffer.alloc(0);
      return this.done();
    }
    return undefined;
  }

  private parseHead(text: string): Omit<ParsedResponse, 'body'> {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]);
    if (!m) throw new HttpParseError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon <= 0) throw new HttpParseError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const had = headers.get(name);
      headers.set(name, had === undefined ? value : `${had}, ${value}`);
    }
    const minor = m[1];
    const connection = (headers.get('connection') ?? '').toLowerCase();
    const keepAlive = minor === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    return { status: Number(m[2]), statusText: m[3] ?? '', headers, keepAlive };
  }

  private framingOf(head: Omit<ParsedResponse, 'body'>): Framing {
    if (this.method === 'HEAD' || head.status === 204 || head.status === 304)
      return { kind: 'length', left: 0 };
    const te = head.headers.get('transfer-encoding');
    if (te !== undefined && /\bchunked\s*$/i.test(te)) return { kind: 'chunked', state: 'size', left: 0 };
    const cl = head.headers.get('content-length');
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new HttpParseError(`invalid Content-Length: ${JSON.stringify(cl)}`);
      return { kind: 'length', left: Number(cl) };
    }
    head.keepAlive = false;
    return { kind: 'close' };
  }

  private body(): ParsedResponse | undefined {
    const f = this.framing!;
    if (f.kind === 'close') return undefined;
    if (f.kind === 'length') {
      if (this.buf.length < f.left) return undefined;
      this.parts.push(this.buf.subarray(0, f.left));
      this.buf = this.buf.subarray(f.left);
      return this.done();
    }
    for (;;) {
      if (f.state === 'data') {
        const n = Math.min(f.left, this.buf.length);
        this.parts.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        f.left -= n;
        if (f.left > 0) return undefined;
        f.state = 'data-end';
      }
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) {
        if (this.buf.length > MAX_HEAD_BYTES) throw new HttpParseError('a chunk line is too long');
        return undefined;
      }
      const line = this.buf.toString('latin1', 0, eol);
      this.buf = this.buf.subarray(eol + 2);
      if (f.state === 'data-end') {
        if (line !== '') throw new HttpParseError('a chunk does not end where its size says');
        f.state = 'size';
      } else if (f.state === 'size') {
        const size = /^([0-9a-fA-F]+)[ \t]*(?:;.*)?$/.exec(line);
        if (!size) throw new HttpParseError(`invalid chunk size line: ${JSON.stringify(line.slice(0, 80))}`);
        f.left = parseInt(size[1], 16);
        f.state = f.left === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        // The empty line after the trailers (if any) ends the body.
        return this.done();
      }
    }
  }

  private done(): ParsedResponse {
    const body = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    const res = { ...this.head!, body };
    this.head = undefined;
    this.framing = undefined;
    this.parts = [];
    return res;
  }
}
