import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../api/domain/errors.js';
import { readFormBody } from '../../api/http/form-body.js';

const FORM = 'application/x-www-form-urlencoded';
const request = (body: BodyInit, type = FORM, headers: Record<string, string> = {}) =>
  new Request('http://localhost/v1/oauth2/token', {
    method: 'POST',
    body,
    headers: { 'content-type': type, ...headers },
  });

describe('readFormBody', () => {
  it('decodes form encoding and treats an empty value as omitted', async () => {
    const form = await readFormBody(
      request('grant_type=client_credentials&scope=data%3Aread+data%3Awrite&client_id=&x=%C3%A9'),
    );
    expect(form).toEqual({ grant_type: 'client_credentials', scope: 'data:read data:write', x: 'é' });
  });

  it('takes a charset parameter but no other type', async () => {
    await expect(readFormBody(request('a=1', `${FORM}; charset=UTF-8`))).resolves.toEqual({ a: '1' });
    await expect(readFormBody(request('a=1', 'application/json'))).rejects.toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
    await expect(readFormBody(request('a=1', `${FORM}x`))).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it('refuses a field given twice, naming it', async () => {
    const err = await readFormBody(request('a=1&b=2&a=3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).errors).toEqual([
      { path: 'body.a', message: 'given 2 times; give it once' },
    ]);
  });

  it('refuses bytes that are not UTF-8, and a body past the control-plane limit', async () => {
    const err = await readFormBody(request(new Uint8Array([0x61, 0x3d, 0xff]))).catch((e: unknown) => e);
    expect((err as InvalidInputError).errors).toEqual([{ path: 'body', message: 'is not UTF-8' }]);
    const big = await readFormBody(request(`a=${'x'.repeat(1024 * 1024)}`)).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(PayloadTooLargeError);
    expect((big as PayloadTooLargeError).limit).toBe('maxControlBodyBytes');
  });
});
