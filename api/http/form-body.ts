import { InvalidInputError, UnsupportedMediaTypeError, type FieldError } from '../domain/errors.js';
import { readControlBody } from './control-body.js';

/**
 * Reads an application/x-www-form-urlencoded body (the OAuth2 token request) under the control-plane
 * limit, one value per field. RFC 6749 3.2: a field sent without a value counts as omitted, and none may
 * be sent twice (refused, like a repeated query parameter, rather than guessing which one counts).
 */
export async function readFormBody(req: Request): Promise<Record<string, string>> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be application/x-www-form-urlencoded (got '${type || 'none'}').`,
    );
  }
  const bytes = await readControlBody(req);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidInputError('The form body is not UTF-8.', [{ path: 'body', message: 'is not UTF-8' }]);
  }
  const form = new URLSearchParams(text);
  const out: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const name of new Set(form.keys())) {
    const values = form.getAll(name).filter((v) => v !== '');
    if (values.length > 1)
      errors.push({ path: `body.${name}`, message: `given ${values.length} times; give it once` });
    if (values.length) out[name] = values[0];
  }
  if (errors.length)
    throw new InvalidInputError(
      `Invalid form: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors,
    );
  return out;
}
