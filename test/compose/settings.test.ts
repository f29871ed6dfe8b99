import { describe, expect, it } from 'vitest';
import {
  ingestSettings,
  loadMonitorSettings,
  streamDefaults,
  webhookPolicy,
} from '../../api/compose/settings.js';
import { parseConfig } from '../../api/config.js';
import { DEFAULT_LOAD_MONITOR } from '../../api/domain/monitoring/load-state.js';

describe('domain settings from the configuration', () => {
  it('gives the ingest verb the configured body limits and concurrency', () => {
    const config = parseConfig({
      TRIBUTARY_MAX_BODY_BYTES: '1000',
      TRIBUTARY_MAX_DECOMPRESSED_BYTES: '2000',
      TRIBUTARY_MAX_RECORD_BYTES: '300',
      TRIBUTARY_MAX_RECORDS: '7',
      TRIBUTARY_MAX_INFLIGHT_REQUESTS: '3',
    });
    expect(ingestSettings(config)).toEqual({
      limits: {
        maxBodyBytes: 1000,
        maxDecompressedBytes: 2000,
        maxRecordBytes: 300,
        maxRecords: 7,
        maxDepth: 32,
      },
      maxInFlight: 3,
    });
  });

  it('keeps the environment defaults when nothing is set', () => {
    expect(ingestSettings(parseConfig({}))).toEqual({
      limits: {
        maxBodyBytes: 4 * 1024 * 1024,
        maxDecompressedBytes: 16 * 1024 * 1024,
        maxRecordBytes: 1000 * 1024,
        maxRecords: 10_000,
        maxDepth: 32,
      },
      maxInFlight: 64,
    });
    expect(streamDefaults(parseConfig({}))).toEqual({ buffering: { intervalSeconds: 1, sizeMiB: 5 } });
  });

  it('gives new streams the configured buffering hints', () => {
    const config = parseConfig({
      TRIBUTARY_DEFAULT_BUFFER_INTERVAL_SECONDS: '0.5',
      TRIBUTARY_DEFAULT_BUFFER_SIZE_MIB: '2',
    });
    expect(streamDefaults(config)).toEqual({ buffering: { intervalSeconds: 0.5, sizeMiB: 2 } });
  });

  it('takes the stuck-loading age from the configuration and the rest from the domain', () => {
    const config = parseConfig({ TRIBUTARY_READY_MAX_UNLOADED_AGE_SECONDS: '60' });
    expect(loadMonitorSettings(config)).toEqual({ ...DEFAULT_LOAD_MONITOR, maxUnloadedAgeSeconds: 60 });
  });

  it('hands the webhook code a policy: internal targets refused unless allowed, https in AWS mode', () => {
    expect(webhookPolicy(parseConfig({}))).toEqual({ allowPrivate: false, requireHttps: false });
    expect(webhookPolicy(parseConfig({ TRIBUTARY_WEBHOOK_ALLOW_PRIVATE: 'true' }))).toEqual({
      allowPrivate: true,
      requireHttps: false,
    });
    const aws = parseConfig({
      TRIBUTARY_MODE: 'aws',
      AWS_REGION: 'eu-west-1',
      TRIBUTARY_TABLE_NAME: 't',
      TRIBUTARY_FIREHOSE_STREAM: 'raw',
      TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: 'quarantine',
    });
    expect(webhookPolicy(aws)).toEqual({ allowPrivate: false, requireHttps: true });
  });
});
