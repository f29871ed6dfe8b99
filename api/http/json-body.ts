import { InvalidInputError, UnsupportedMediaTypeError } from '../domain/errors.js';
import { readControlBody } from './control-body.js';

/** Reads a control-plane JSON body with a size limit and a parse error that names the offset. */
export async function readJsonBody(req: Request): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json (got '${type || 'none'}').`);
  }
  const buf = await readControlBody(req);
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
