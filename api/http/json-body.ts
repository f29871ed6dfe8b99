import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../domain/errors.js';

const MAX_CONTROL_BODY = 1024 * 1024;

/** Reads a control-plane JSON body with a size limit and a parse error that names the offset. */
export async function readJsonBody(req: Request): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json (got '${type || 'none'}').`);
  }
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_CONTROL_BODY) {
    throw new PayloadTooLargeError(
      'maxControlBodyBytes',
      MAX_CONTROL_BODY,
      `Request body exceeds ${MAX_CONTROL_BODY} bytes (maxControlBodyBytes).`,
    );
  }
  const buf = await req.arrayBuffer();
  if (buf.byteLength > MAX_CONTROL_BODY) {
    throw new PayloadTooLargeError(
      'maxControlBodyBytes',
      MAX_CONTROL_BODY,
      `Request body exceeds ${MAX_CONTROL_BODY} bytes (maxControlBodyBytes).`,
    );
  }
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
