import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../api/domain/errors.js';
import { basicCredentials } from '../../api/http/basic-credentials.js';

const basic = (userPass: string) => `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;
const KEY = `trb_${'a'.repeat(20)}_${'B-_'.repeat(14)}C`;

describe('basicCredentials', () => {
  it('is undefined without an Authorization header', () => {
    expect(basicCredentials(undefined)).toBeUndefined();
  });

  it('splits at the last colon: a client_id may hold one, a key never does', () => {
    expect(basicCredentials(basic(`debezium:${KEY}`))).toEqual({ clientId: 'debezium', clientSecret: KEY });
    expect(basicCredentials(basic(`dbz:orders:${KEY}`))).toEqual({
      clientId: 'dbz:orders',
      clientSecret: KEY,
    });
    expect(basicCredentials(`basic   ${Buffer.from(`x:${KEY}`).toString('base64')}`)?.clientSecret).toBe(KEY);
  });

  it.each([[`Bearer ${KEY}`], ['Basic'], ['Basic not*base64'], [basic('no-colon-here')]])(
    'refuses %s as a failed client authentication',
    (header) => {
      expect(() => basicCredentials(header)).toThrow(UnauthenticatedError);
    },
  );
});
