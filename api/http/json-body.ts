import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../domain/errors.js';

const MAX_CONTROL_BODY = 1024 * 1024;

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

/** Reads a control-plane JSON body with a size limit and a parse error that names the offset. */
export async function readJsonBody(req: Request): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json (got '${type || 'none'}').`);
  }
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_CONTROL_BODY) throw tooLarge();
  const buf = await readLimited(req.body, MAX_CONTROL_BODY);
  const text = new TextDecoder().decode(buf);
  if (!text.trim())
    throw new InvalidInputError('Request body is empty; expected a JSON object.', [
      { path: 'body', message: 'is empty' },
    ]);
  try {
    return JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const where = m ? ` at offset ${m[1]}` : '';
    throw new InvalidInputError(`Malformed JSON${where}: ${(err as Error).message}`, [
      { path: 'body', message: `malformed JSON${where}` },
    ]);
  }
}
