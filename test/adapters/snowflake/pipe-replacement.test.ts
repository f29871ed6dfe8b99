import { describe, expect, it } from 'vitest';
import { streamObjects } from '../../../api/adapters/snowflake/index.js';
import {
  MAX_FILE_REFRESHES,
  catchUpFor,
  catchUpSql,
  listedFiles,
  missingFiles,
  parsePipeStatus,
  windowHours,
} from '../../../api/adapters/snowflake/pipe-replacement.js';
import { config, expectGolden } from './fixtures.js';

const o = streamObjects('acme', 'orders', config);
const c = catchUpFor('acme', 'orders', o, config.bucket, '2026-11-27T00:20:00.000Z');
const key = (hour: string, i: number) =>
  `raw/tenant=acme/stream=orders/dt=2026-11-2${hour === '23' ? '6' : '7'}/hour=${hour}/f-${String(i).padStart(3, '0')}`;

describe('pipe replacement: the catch-up', () => {
  it('lists the hour partitions from an hour before the change, across midnight', () => {
    expect(windowHours(Date.parse('2026-11-27T00:20:00.000Z'))).toEqual({
      since: '2026-11-26T23:00:00.000Z',
      hours: ['dt=2026-11-26/hour=23/', 'dt=2026-11-27/hour=00/'],
    });
    // Five minutes before the hour, the next hour's partition is listed too.
    expect(windowHours(Date.parse('2026-11-27T09:56:00.000Z')).hours).toEqual([
      'dt=2026-11-27/hour=08/',
      'dt=2026-11-27/hour=09/',
      'dt=2026-11-27/hour=10/',
    ]);
  });

  it('reads LIST rows as lake keys with their times, skipping folders and other prefixes', () => {
    const listed = listedFiles(
      [
        { name: `s3://${config.bucket}/${key('00', 1)}`, last_modified: 'Fri, 27 Nov 2026 00:05:07 GMT' },
        { name: `s3://${config.bucket}/raw/tenant=acme/stream=orders/dt=2026-11-27/hour=00/` },
        { name: `s3://${config.bucket}/raw/tenant=acme/stream=orders_v2/dt=2026-11-27/hour=00/x` },
        { name: `s3://other-bucket/${key('00', 2)}` },
      ],
      c,
    );
    expect([...listed]).toEqual([[key('00', 1), '2026-11-27T00:05:07.000Z']]);
  });

  it('refreshes each missing file by name, oldest key first', () => {
    const missing = new Map([
      [key('00', 2), '2026-11-27T00:10:00.000Z'],
      [key('23', 1), '2026-11-26T23:50:00.000Z'],
    ]);
    expect(catchUpSql(c, missing)).toEqual([
      `ALTER PIPE "TRIBUTARY"."ACME"."ORDERS_RAW_PIPE" REFRESH PREFIX = 'dt=2026-11-26/hour=23/f-001'`,
      `ALTER PIPE "TRIBUTARY"."ACME"."ORDERS_RAW_PIPE" REFRESH PREFIX = 'dt=2026-11-27/hour=00/f-002'`,
    ]);
    expect(
      missingFiles(
        [key('00', 1), key('00', 2), key('00', 3)],
        new Set([key('00', 1)]),
        new Set([key('00', 3)]),
      ),
    ).toEqual([key('00', 2)]);
  });

  it('past MAX_FILE_REFRESHES, refreshes each hour from a second before its oldest missing file', async () => {
    const missing = new Map<string, string>();
    for (let i = 0; i <= MAX_FILE_REFRESHES; i++) {
      const hour = i % 2 ? '23' : '00';
      missing.set(
        key(hour, i),
        `2026-11-2${hour === '23' ? '6T23' : '7T00'}:${String(10 + (i % 40)).padStart(2, '0')}:00.000Z`,
      );
    }
    const sql = catchUpSql(c, missing);
    await expectGolden('catch-up-by-hour', sql);
    expect(sql).toEqual([
      `ALTER PIPE "TRIBUTARY"."ACME"."ORDERS_RAW_PIPE" REFRESH PREFIX = 'dt=2026-11-26/hour=23/' MODIFIED_AFTER = '2026-11-26T23:10:59.000Z'`,
      `ALTER PIPE "TRIBUTARY"."ACME"."ORDERS_RAW_PIPE" REFRESH PREFIX = 'dt=2026-11-27/hour=00/' MODIFIED_AFTER = '2026-11-27T00:09:59.000Z'`,
    ]);
  });

  it('reads SYSTEM$PIPE_STATUS, which leaves pendingFileCount out when there is none', () => {
    expect(parsePipeStatus('{"executionState":"PAUSED","pendingFileCount":2}')).toEqual({
      executionState: 'PAUSED',
      pendingFileCount: 2,
    });
    expect(parsePipeStatus('{"executionState":"PAUSED"}')).toEqual({
      executionState: 'PAUSED',
      pendingFileCount: 0,
    });
    expect(() => parsePipeStatus('Statement executed successfully.')).toThrow(/SYSTEM\$PIPE_STATUS/);
  });
});
