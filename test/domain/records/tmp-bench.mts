import { parse, gzip } from './helpers.js';
const recs = Array.from({ length: 10_000 }, (_, i) => ({ id: `order-${i}`, user: { id: i * 7, name: 'Zoë ' + i, tags: ['a', 'b', 'c'] }, amount: i * 1.25, note: 'lorem ipsum dolor sit amet '.repeat(10), ok: i % 2 === 0 }));
const json = JSON.stringify(recs);
const nd = recs.map((r) => JSON.stringify(r)).join('\n');
const gz = gzip(json);
const deep = '['.repeat(8e6) + ']'.repeat(8e6);
const limits = { maxBodyBytes: 16 << 20 };
const small = JSON.stringify(recs.slice(0, 10)); const smallGz = gzip(small);
const cases = [
  ['JSON.parse only', async () => JSON.parse(json)],
  ['json 3.9MB', () => parse(json, { limits, chunkSize: 65536 })],
  ['ndjson 3.9MB', () => parse(nd, { contentType: 'application/x-ndjson', limits, chunkSize: 65536 })],
  ['json gzip 3.9MB', () => parse(gz, { contentEncoding: 'gzip', limits, chunkSize: 65536 })],
  ['deep 8M brackets (16MB)', () => parse(deep, { limits: { maxBodyBytes: 16 << 20 } }).catch(() => 0)],
  ['json 10 records', () => parse(small)],
  ['json gzip 10 records', () => parse(smallGz, { contentEncoding: 'gzip' })],
] as const;
for (const [name, fn] of cases) {
  for (let i = 0; i < 3; i++) await fn();
  const n = name.includes('10 rec') ? 300 : 10;
  const c = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const u = process.cpuUsage(c);
  console.log(name, ((u.user + u.system) / 1000 / n).toFixed(2), 'ms cpu');
}
