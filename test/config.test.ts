import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../api/config.js';

describe('config', () => {
  it('has embedded defaults', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      PORT: 8080,
      TRIBUTARY_MODE: 'local',
      TRIBUTARY_DATA_DIR: './.tributary',
      TRIBUTARY_MAX_BODY_BYTES: 4 * 1024 * 1024,
    });
    expect(c.TRIBUTARY_MAX_DECOMPRESSED_BYTES).toBe(16 * 1024 * 1024);
    expect(c.TRIBUTARY_MAX_RECORD_BYTES).toBe(1000 * 1024);
    expect(c.TRIBUTARY_MAX_RECORDS).toBe(10_000);
    expect(c.TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS).toBe(300);
    expect(c.TRIBUTARY_IDEMPOTENCY_MAX_KEYS).toBe(500_000);
    expect(c.TRIBUTARY_ADMIT_WAIT_MS).toBe(1000);
    expect(
      parseConfig({ TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS: '60' })
        .TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS,
    ).toBe(60);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ TRIBUTARY_MODE: 'cloud' }, 'TRIBUTARY_MODE'],
    [{ TRIBUTARY_ADMIN_KEY: 'short' }, 'TRIBUTARY_ADMIN_KEY'],
    [{ TRIBUTARY_MODE: 'aws' }, 'TRIBUTARY_FIREHOSE_STREAM'],
    [{ TRIBUTARY_WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'TRIBUTARY_WEBHOOK_ALLOW_PRIVATE'],
    [{ TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS: '0' }, 'TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS'],
    [{ TRIBUTARY_IDEMPOTENCY_MAX_KEYS: '-1' }, 'TRIBUTARY_IDEMPOTENCY_MAX_KEYS'],
  ])('names the bad variable in %j', (env, name) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(name);
  });
});
