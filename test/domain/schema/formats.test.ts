import { describe, expect, it } from 'vitest';
import { codePointLength, isDate, isDateTime, isEmail, isUuid } from '../../../api/domain/schema/index.js';

describe('date-time (RFC 3339 with an offset)', () => {
  it.each([
    '2024-05-01T12:34:56Z',
    '2024-05-01 12:34:56Z',
    '2024-05-01T12:34:56.7Z',
    '2024-05-01T12:34:56.123456789Z',
    '2024-05-01T23:59:59+05:30',
    '2024-05-01T00:00:00-23:59',
    '2024-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '0001-01-01T00:00:00Z',
  ])('accepts %s', (s) => expect(isDateTime(s)).toBe(true));

  it.each([
    ['no offset', '2024-05-01T12:34:56'],
    ['offset without colon', '2024-05-01T12:34:56+0530'],
    ['hour-only offset', '2024-05-01T12:34:56+05'],
    ['offset hour 24', '2024-05-01T12:34:56+24:00'],
    ['offset minute 60', '2024-05-01T12:34:56+05:60'],
    ['hour 24', '2024-05-01T24:00:00Z'],
    ['minute 60', '2024-05-01T12:60:00Z'],
    ['leap second', '2024-12-31T23:59:60Z'],
    // RFC 3339 allows these, but DuckDB's TIMESTAMPTZ cast refuses them (and with them the whole object).
    ['lower-case z', '2024-05-01T12:34:56z'],
    ['lower-case t', '2024-05-01t12:34:56Z'],
    ['empty fraction', '2024-05-01T12:34:56.Z'],
    ['ten fraction digits', '2024-05-01T12:34:56.1234567890Z'],
    ['no seconds', '2024-05-01T12:34Z'],
    ['bad separator', '2024-05-01_12:34:56Z'],
    ['date only', '2024-05-01'],
    ['Feb 29 in a common year', '2023-02-29T00:00:00Z'],
    ['Feb 29 in 1900', '1900-02-29T00:00:00Z'],
    ['April 31', '2024-04-31T00:00:00Z'],
    ['month 13', '2024-13-01T00:00:00Z'],
    ['day 0', '2024-01-00T00:00:00Z'],
    ['trailing text', '2024-05-01T12:34:56Z '],
    ['leading text', ' 2024-05-01T12:34:56Z'],
    ['two-digit year', '24-05-01T12:34:56Z'],
    ['non-ascii digits', '２024-05-01T12:34:56Z'],
    ['empty', ''],
  ])('rejects %s', (_name, s) => expect(isDateTime(s)).toBe(false));
});

describe('date', () => {
  it.each(['2024-02-29', '2023-12-31', '2000-02-29', '0000-01-01'])('accepts %s', (s) =>
    expect(isDate(s)).toBe(true),
  );
  it.each([
    '2023-02-29',
    '1900-02-29',
    '2024-06-31',
    '2024-00-10',
    '2024-1-01',
    '20240101',
    '2024-01-01T00:00:00Z',
    '2024-01-01 ',
    '',
  ])('rejects %j', (s) => expect(isDate(s)).toBe(false));
});

describe('email', () => {
  it.each(['a@b.co', 'first.last+tag@example.com', "o'brien@sub.example.org", 'X@EXAMPLE.COM'])(
    'accepts %s',
    (s) => expect(isEmail(s)).toBe(true),
  );
  it.each([
    'plain',
    '@example.com',
    'a@',
    'a@localhost',
    'a b@example.com',
    'a@@example.com',
    'a@-example.com',
    '.a@example.com',
    'a..b@example.com',
    `${'a'.repeat(250)}@x.com`,
  ])('rejects %j', (s) => expect(isEmail(s)).toBe(false));
});

describe('uuid (canonical)', () => {
  it.each([
    '3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2c',
    '3F1C2B4A-1D2E-4F5A-9B8C-7D6E5F4A3B2C',
    '00000000-0000-0000-0000-000000000000',
  ])('accepts %s', (s) => expect(isUuid(s)).toBe(true));
  it.each([
    'urn:uuid:3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2c',
    '{3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2c}',
    '3f1c2b4a1d2e4f5a9b8c7d6e5f4a3b2c',
    '3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2g',
    '3f1c2b4a-1d2e-4f5a-9b8c7-d6e5f4a3b2c',
    '3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2',
  ])('rejects %s', (s) => expect(isUuid(s)).toBe(false));
});

describe('codePointLength', () => {
  it('counts surrogate pairs once and lone surrogates as one each', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('😀x')).toBe(2);
    expect(codePointLength('\ud83d')).toBe(1);
    expect(codePointLength('\ude00\ud83d')).toBe(2);
    expect(codePointLength('é')).toBe(1);
  });
});
