import { parse, gzip } from './helpers.js';
const body = JSON.stringify(Array.from({length: 10}, (_, i) => ({ a: i, s: 'hello world '.repeat(5) })));
for (const [name, fn] of [
  ['plain 16k', () => parse(body)],
  ['plain chunk 8', () => parse(body, { chunkSize: 8 })],
  ['gzip 16k', () => parse(gzip(body), { contentEncoding: 'gzip' })],
  ['gzip chunk 8', () => parse(gzip(body), { contentEncoding: 'gzip', chunkSize: 8 })],
] as const) {
  for (let i = 0; i < 20; i++) await fn();
  const t = performance.now();
  for (let i = 0; i < 200; i++) await fn();
  console.log(name, ((performance.now() - t) / 200).toFixed(3), 'ms');
}
