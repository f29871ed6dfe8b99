import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tributary, type Producer, type ProducerCounts } from '../../client/index.js';
import { contractFetch } from '../support/contract.js';
import {
  STREAM,
  TENANT,
  exactlyOnce,
  readLayer,
  startSdkServer,
  waitLoaded,
  type SdkServer,
} from '../support/sdk-server.js';
import { removeDir, tempDir } from '../support/temp-dir.js';

let f: SdkServer;
let spoolRoot = '';

beforeAll(async () => {
  f = await startSdkServer('tributary-sdk-outage-');
  spoolRoot = await tempDir('tributary-sdk-outage-spool-');
}, 90_000);

afterAll(async () => {
  await f?.server.stop('SIGKILL');
  if (f) await removeDir(f.dataDir);
  if (spoolRoot) await removeDir(spoolRoot);
});

/** Resolves when the producer's counts satisfy `condition` (checked on every event that carries them). */
function when(p: Producer, condition: (c: ProducerCounts) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (e: { counts: ProducerCounts }) => {
      if (!condition(e.counts)) return;
      for (const name of ['acked', 'retry', 'spooled'] as const) p.off(name, check);
      resolve();
    };
    for (const name of ['acked', 'retry', 'spooled'] as const) p.on(name, check);
  });
}

describe('the API process is killed mid-stream and started again', () => {
  it('lands every record exactly once in raw and in deduped', async () => {
    const N = 6000;
    const trb = new Tributary({ url: f.server.url, key: f.producerKey, fetch: contractFetch });
    const p = trb.producer({
      tenant: TENANT,
      stream: STREAM,
      maxBatchRecords: 100,
      lingerMs: 10,
      spoolDir: join(spoolRoot, 'spool'),
      // Short, so the outage reaches the spool: batches past it are spooled and replayed after the restart.
      deliveryTimeoutMs: 1500,
      retry: { baseDelayMs: 50, maxDelayMs: 1000 },
    });
    const batchIds: string[] = [];
    const statuses = new Map<number, number>();
    p.on('acked', (e) => batchIds.push(e.batchId));
    p.on('retry', (e) => statuses.set(e.error.status, (statuses.get(e.error.status) ?? 0) + 1));

    const sending = (async () => {
      for (let i = 0; i < N; i++) await p.send({ id: `o-${i}`, n: i });
    })();
    await when(p, (c) => c.acked >= N / 4);
    const exit = await f.server.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    // The outage is long enough for batches to give up on the API and go to disk.
    await when(p, (c) => c.spooled > 0);
    await f.restart();
    await sending;
    await p.close();

    const counts = p.counts;
    console.info(
      `outage: ${JSON.stringify(counts)}; retries by status ${JSON.stringify([...statuses])}; ` +
        `spool left ${p.spoolBytes} bytes`,
    );
    expect(counts).toMatchObject({ queued: N, acked: N, rejected: 0, failed: 0 });
    expect(counts.spooled).toBeGreaterThan(0);
    expect(counts.replayed).toBe(counts.spooled);
    expect(statuses.get(0)).toBeGreaterThan(0);

    await waitLoaded(f.trb, batchIds);
    const expected = Array.from({ length: N }, (_, i) => `o-${i}`);
    const raw = await readLayer(f.trb, 'raw');
    expect(raw.total).toBe(N);
    expect(exactlyOnce(raw.ids, expected)).toEqual({ repeated: [], missing: [] });
    const deduped = await readLayer(f.trb, 'deduped');
    expect(deduped.total).toBe(N);
    expect(exactlyOnce(deduped.ids, expected)).toEqual({ repeated: [], missing: [] });
  }, 240_000);
});
