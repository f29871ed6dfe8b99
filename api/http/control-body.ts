import { PayloadTooLargeError } from '../domain/errors.js';

/** The body limit of every control-plane route (JSON or form), whatever it parses. */
export const MAX_CONTROL_BODY = 1024 * 1024;

function tooLarge(): PayloadTooLargeError {
  return new PayloadTooLargeError(
    'maxControlBodyBytes',
    MAX_CONTROL_BODY,
    `Request body exceeds ${MAX_CONTROL_BODY} bytes (maxControlBodyBytes).`,
  );
}

/**
 * Reads at most `limit` bytes, counting as the chunks arrive: a chunked upload (no Content-Length) is
 * refused as soon as it passes the limit, never buffered in full first.
 */
async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      // Stop reading; the Node server drains or closes whatever the client still sends after the 413.
      void reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** The body of a control-plane request, refused with 413 past the limit (declared or counted). */
export async function readControlBody(req: Request): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_CONTROL_BODY) throw tooLarge();
  return readLimited(req.body, MAX_CONTROL_BODY);
}
