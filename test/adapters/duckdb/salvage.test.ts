import { describe, expect, it } from 'vitest';
import {
  findBadLines,
  lineOrigin,
  splitLines,
  wellFormedText,
} from '../../../api/adapters/duckdb/salvage.js';

/** A probe over lines whose bad ones are `bad`, counting its calls. */
function probeOver(bad: Set<number>) {
  const calls: Array<[number, number]> = [];
  const probe = async (first: number, end: number) => {
    calls.push([first, end]);
    for (let i = first; i < end; i++) if (bad.has(i)) return `line ${i} is bad`;
    return undefined;
  };
  return { probe, calls };
}

describe('findBadLines', () => {
  it.each([
    ['one bad line at the start', 100, [0]],
    ['one bad line at the end', 100, [99]],
    ['one bad line in the middle', 101, [50]],
    ['neighbours', 64, [31, 32]],
    ['scattered', 1000, [3, 17, 500, 501, 998]],
    ['every line', 9, [0, 1, 2, 3, 4, 5, 6, 7, 8]],
    ['a single line object', 1, [0]],
  ])('finds %s exactly', async (_name, count, badLines) => {
    const bad = new Set(badLines);
    const { probe } = probeOver(bad);
    const found = await findBadLines(count, 'the whole object failed', probe);
    expect(found.map((b) => b.index).sort((a, b) => a - b)).toEqual(badLines);
    // Each bad line carries the message of a probe that held only it (or the whole run's, for one line).
    for (const b of found) {
      if (count > 1) expect(b.message).toBe(`line ${b.index} is bad`);
    }
  });

  it('needs about 2·k·log2(n) probes, not n', async () => {
    const { probe, calls } = probeOver(new Set([123, 40_000]));
    const found = await findBadLines(50_000, 'failed', probe);
    expect(found.map((b) => b.index)).toEqual([123, 40_000]);
    expect(calls.length).toBeLessThan(2 * 2 * Math.ceil(Math.log2(50_000)) + 8);
  });

  it('finds nothing in an empty object and propagates a probe that throws', async () => {
    expect(await findBadLines(0, 'x', async () => 'bad')).toEqual([]);
    const boom = new Error('IO Error: disk gone');
    await expect(
      findBadLines(10, 'x', async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
  });
});

describe('splitLines', () => {
  it('keeps each line as its original bytes and drops blank ones', () => {
    const buf = Buffer.concat([
      Buffer.from('{"a":1}\n\n  \r\n{"b":'),
      Buffer.from([0xff, 0xed, 0xa0, 0x80]),
      Buffer.from('}\n{"c":3}'),
    ]);
    const lines = splitLines(buf);
    expect(lines.map((l) => l.toString('hex'))).toEqual([
      Buffer.from('{"a":1}').toString('hex'),
      Buffer.concat([Buffer.from('{"b":'), Buffer.from([0xff, 0xed, 0xa0, 0x80]), Buffer.from('}')]).toString(
        'hex',
      ),
      Buffer.from('{"c":3}').toString('hex'),
    ]);
  });
});

describe('wellFormedText', () => {
  it.each([
    ['ASCII with a JSON lone surrogate escape', Buffer.from('{"id":"\\ud800"}'), '{"id":"\\ud800"}'],
    ['emoji and right-to-left text', Buffer.from('{"s":"😀 שלום"}'), '{"s":"😀 שלום"}'],
    ['an encoded surrogate (CESU)', Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62]), 'a\\xED\\xA0\\x80b'],
    ['a stray continuation byte', Buffer.from([0x80, 0x41]), '\\x80A'],
    ['an overlong NUL', Buffer.from([0xc0, 0x80]), '\\xC0\\x80'],
    ['a truncated sequence at the end', Buffer.from([0x41, 0xe2, 0x82]), 'A\\xE2\\x82'],
    ['beyond U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80]), '\\xF4\\x90\\x80\\x80'],
    ['a 4-byte character', Buffer.from('𝄞', 'utf8'), '𝄞'],
  ])('%s', (_name, input, expected) => {
    const text = wellFormedText(input);
    expect(text).toBe(expected);
    expect(/\p{Cs}/u.test(text)).toBe(false);
    // What is stored (a JSON string of it) round-trips.
    expect(JSON.parse(JSON.stringify(text))).toBe(text);
  });
});

describe('lineOrigin', () => {
  it('reads the metadata of a parseable line and drops what is not well-formed', () => {
    const line = JSON.stringify({
      _batch_id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
      _index: 7,
      _received_at: '2026-11-26T12:00:00.000Z',
      _schema_version: 2,
      record: { id: '\ud800' },
    });
    expect(lineOrigin(line)).toEqual({
      batchId: '01JABCDEFGHJKMNPQRSTVWXYZ0',
      index: 7,
      receivedAt: '2026-11-26T12:00:00.000Z',
      schemaVersion: 2,
    });
    expect(lineOrigin('{"_batch_id":"\\udc00","_index":-1,"_schema_version":1e10}')).toEqual({
      batchId: null,
      index: null,
      receivedAt: null,
      schemaVersion: null,
    });
  });

  it('reads the metadata ahead of the break in a truncated line', () => {
    expect(
      lineOrigin('{"_id":"x","_batch_id":"B1","_index":3,"_received_at":"2026-11-26T12:00:00.000Z","rec'),
    ).toEqual({ batchId: 'B1', index: 3, receivedAt: '2026-11-26T12:00:00.000Z', schemaVersion: null });
    expect(lineOrigin('garbage')).toEqual({
      batchId: null,
      index: null,
      receivedAt: null,
      schemaVersion: null,
    });
  });
});
