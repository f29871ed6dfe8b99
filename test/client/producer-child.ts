import { writeSync } from 'node:fs';
import { Tributary } from '../../client/index.js';

/*
 * A producer in its own process, for test/client/producer-crash.test.ts, which kills it. Settings come
 * from the environment; every line it prints is JSON, written synchronously so a kill loses none of it.
 *
 *   CHILD_MODE=spool        send CHILD_COUNT records from CHILD_FROM, flush, print `flushed`, then wait
 *   CHILD_MODE=die-replaying  send nothing; SIGKILL itself inside the CHILD_DIE_AFTER-th replay ack, after
 *                             the API answered that batch and before the spool recorded it
 *   CHILD_MODE=finish       send CHILD_COUNT records from CHILD_FROM, print `sent`, wait for SIGTERM
 *                           (closeOnSignals: flush, replay, then the signal ends the process)
 */
const env = (name: string) => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const say = (line: Record<string, unknown>) => writeSync(1, `${JSON.stringify(line)}\n`);

const mode = env('CHILD_MODE');
const trb = new Tributary({ url: env('CHILD_URL'), key: env('CHILD_KEY') });
const producer = trb.producer({
  tenant: 'acme',
  stream: 'events',
  spoolDir: env('CHILD_SPOOL'),
  maxBatchRecords: 100,
  lingerMs: 10,
  deliveryTimeoutMs: 300,
  retry: { baseDelayMs: 20, maxDelayMs: 200 },
  closeOnSignals: mode === 'finish',
});

let replayAcks = 0;
producer.on('acked', (e) => {
  say({ event: 'acked', batchId: e.batchId, fromSpool: e.fromSpool, accepted: e.accepted });
  if (e.fromSpool) replayAcks++;
  if (mode === 'die-replaying' && replayAcks === Number(env('CHILD_DIE_AFTER')))
    process.kill(process.pid, 'SIGKILL');
});
producer.on('spooled', (e) => say({ event: 'spooled', records: e.records, reason: e.reason }));
producer.on('failed', (e) => say({ event: 'failed', error: e.error.message }));

await producer.ready;
const from = Number(process.env.CHILD_FROM ?? 0);
const count = Number(process.env.CHILD_COUNT ?? 0);
for (let i = from; i < from + count; i++) await producer.send({ id: `k-${i}`, n: i });

if (mode === 'spool') {
  await producer.flush();
  say({ event: 'flushed', counts: producer.counts, spoolBytes: producer.spoolBytes });
} else if (mode === 'finish') {
  say({ event: 'sent', counts: producer.counts });
}
// Stay up until the test kills or signals us.
setInterval(() => undefined, 60_000);
