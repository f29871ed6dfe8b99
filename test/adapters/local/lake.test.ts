import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lake, objectKey, parseObjectKey } from '../../../api/adapters/local/lake.js';
import { listFiles, tempDir } from './support.js';

describe('lake', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('names objects Firehose-style with the covered log range as the unique part', () => {
    const at = new Date('2026-11-26T09:05:03.123Z');
    const key = objectKey(
      { kind: 'raw', tenant: 'acme', stream: 'orders', firstLsn: 12, lastLsn: 345 },
      at,
      false,
    );
    expect(key).toBe(
      'raw/tenant=acme/stream=orders/dt=2026-11-26/hour=09/orders-2026-11-26-09-05-03-000000000012-000000000345.ndjson',
    );
    expect(parseObjectKey(key)).toEqual({
      kind: 'raw',
      tenant: 'acme',
      stream: 'orders',
      firstLsn: 12,
      lastLsn: 345,
    });
    const q = objectKey(
      { kind: 'quarantine', tenant: 'acme', stream: 'orders', firstLsn: 1, lastLsn: 1 },
      at,
      true,
    );
    expect(q).toMatch(
      /^quarantine\/tenant=acme\/stream=orders\/dt=2026-11-26\/hour=09\/orders-2026-11-26-09-05-03-\d+-\d+\.ndjson\.gz$/,
    );
    expect(parseObjectKey(q)?.kind).toBe('quarantine');
    expect(
      parseObjectKey(
        'raw/tenant=acme/stream=orders/dt=2026-11-26/hour=09/other-2026-11-26-09-05-03-1-1.ndjson',
      ),
    ).toBeUndefined();
  });

  it('publishes atomically: content durable in a temp dir outside the lake, then renamed into place', async () => {
    const root = path.join(dir, 'lake');
    const tmp = path.join(dir, 'tmp');
    const lake = new Lake(root, tmp);
    await lake.init();
    const seenBeforeVisible: string[][] = [];
    const obj = await lake.publish(
      {
        kind: 'raw',
        tenant: 'acme',
        stream: 'orders',
        firstLsn: 1,
        lastLsn: 2,
        records: 3,
        at: new Date('2026-11-26T23:59:59Z'),
        gzip: false,
        chunks: [Buffer.from('{"a":1}\n{"a":2}\n'), Buffer.from('{"a":3}\n')],
      },
      async () => {
        seenBeforeVisible.push(await listFiles(root), await listFiles(tmp));
      },
    );
    // When the hook ran, the lake showed nothing and the full content sat in the temp dir.
    expect(seenBeforeVisible[0]).toEqual([]);
    expect(seenBeforeVisible[1]).toHaveLength(1);
    expect(obj).toMatchObject({ tenant: 'acme', stream: 'orders', kind: 'raw', records: 3, bytes: 24 });
    expect(obj.path).toBe(path.join(root, obj.key));
    expect(await fs.readFile(obj.path, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    expect(await listFiles(tmp)).toEqual([]);
    expect(await listFiles(root)).toEqual([obj.key]);

    const gz = await lake.publish({
      kind: 'quarantine',
      tenant: 'acme',
      stream: 'orders',
      firstLsn: 3,
      lastLsn: 3,
      records: 1,
      at: new Date('2026-11-27T00:00:00Z'),
      gzip: true,
      chunks: [Buffer.from('{"q":1}\n')],
    });
    expect(gz.key.startsWith('quarantine/tenant=acme/stream=orders/dt=2026-11-27/hour=00/')).toBe(true);
    expect(gunzipSync(await fs.readFile(gz.path)).toString()).toBe('{"q":1}\n');
    const listed = await lake.list();
    expect(listed.map((o) => o.key).sort()).toEqual([obj.key, gz.key].sort());
    expect(await lake.inspect(listed.find((o) => o.key === gz.key)!)).toEqual({
      records: 1,
      firstReceivedAt: undefined,
    });
  });

  it('removes temp files a crash left behind, never touching published objects', async () => {
    const root = path.join(dir, 'lake');
    const tmp = path.join(dir, 'tmp');
    await fs.mkdir(tmp, { recursive: true });
    await fs.writeFile(path.join(tmp, 'half-written.tmp'), '{"partial":');
    const lake = new Lake(root, tmp);
    await lake.init();
    expect(await listFiles(tmp)).toEqual([]);
    expect(await lake.list()).toEqual([]);
  });
});
