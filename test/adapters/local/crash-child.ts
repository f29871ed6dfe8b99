/**
 * Child process for the SIGKILL test: runs a LocalDelivery on the given directories and appends
 * batches from a few concurrent producers, printing each batch only after its append resolved.
 */
import { LocalDelivery } from '../../../api/adapters/local/index.js';
import {
  FileLoadTarget,
  makeBatch,
  silentLogger,
  SumMetrics,
  testDeliveryDefaults,
  testStream,
} from './support.js';

const [dataDir, whDir] = process.argv.slice(2);
const delivery = new LocalDelivery({
  ...testDeliveryDefaults,
  dataDir,
  target: new FileLoadTarget(whDir),
  getStream: async (t, s) => testStream(t, s),
  metrics: new SumMetrics(),
  logger: silentLogger,
  highWatermarkBytes: 256 * 1024 * 1024,
  gzip: process.env.CRASH_GZIP === '1',
  segmentBytes: 32 * 1024,
  retryBaseMs: 5,
  retryMaxMs: 50,
  refreshRetryMs: 50,
});
await delivery.start();
process.stdout.write('started\n');

async function producer(w: number): Promise<void> {
  for (;;) {
    const n = Math.floor(Math.random() * 5);
    const rejects = Math.random() < 0.3 || n === 0 ? 1 : 0;
    const b = makeBatch({
      stream: w % 2 ? 'orders' : 'clicks',
      n,
      rejects,
      pad: 50,
      sizeMiB: 8 / 1024,
      intervalSeconds: 0.02,
    });
    await delivery.append(b);
    process.stdout.write(`${b.batchId} ${n} ${rejects}\n`);
  }
}
await Promise.all([0, 1, 2, 3].map(producer));
