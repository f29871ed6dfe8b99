import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeEntry, encodeFrame, scanFrames } from '../../../api/adapters/local/frame.js';
import { makeBatch } from './support.js';

describe('log frames', () => {
  it('round-trips a batch, keeping records and rejects as newline-terminated NDJSON blocks', () => {
    const batch = makeBatch({ n: 3, rejects: 2 });
    const a = encodeEntry(7, batch);
    const b = encodeEntry(8, makeBatch({ n: 0, rejects: 1 }));
    const { entries, validBytes } = decodeFrames(Buffer.concat([a.frame, b.frame]));
    expect(validBytes).toBe(a.frame.length + b.frame.length);
    expect(entries.map((e) => e.lsn)).toEqual([7, 8]);
    const [e] = entries;
    expect(e).toMatchObject({
      tenant: 'acme',
      stream: 'orders',
      batchId: batch.batchId,
      recordCount: 3,
      rejectCount: 2,
    });
    expect(e.records.equals(batch.records)).toBe(true);
    expect(e.rejects.equals(batch.rejects)).toBe(true);
    expect(entries[1].records.length).toBe(0);
    // The in-memory entry views the same bytes that were logged.
    expect(a.entry.records.equals(e.records)).toBe(true);
  });

  it("carries the batch's idempotency claim, and none when the batch has no key", () => {
    const claim = {
      key: 'k-1',
      fingerprint: 'f'.repeat(64),
      token: 't-1',
      createdAt: '2026-12-01T00:00:00.000Z',
    };
    const keyed = encodeEntry(1, { ...makeBatch(), claim });
    const plain = encodeEntry(2, makeBatch());
    const { entries } = decodeFrames(Buffer.concat([keyed.frame, plain.frame]));
    expect(entries[0].claim).toEqual(claim);
    expect(keyed.entry.claim).toEqual(claim);
    expect(entries[1].claim).toBeUndefined();
    // A claim written before tokens existed has none.
    const { token: _token, ...untokened } = claim;
    const [old] = decodeFrames(encodeEntry(3, { ...makeBatch(), claim: untokened }).frame).entries;
    expect(old.claim).toEqual(untokened);
  });

  it('stops at a torn or corrupt frame', () => {
    const a = encodeEntry(1, makeBatch()).frame;
    const b = encodeEntry(2, makeBatch()).frame;
    for (const cut of [1, 7, 8, 20, b.length - 1]) {
      const { entries, validBytes } = decodeFrames(Buffer.concat([a, b.subarray(0, cut)]));
      expect(entries).toHaveLength(1);
      expect(validBytes).toBe(a.length);
    }
    const flipped = Buffer.from(b);
    flipped[flipped.length - 3] ^= 0xff;
    expect(decodeFrames(Buffer.concat([a, flipped])).entries).toHaveLength(1);
  });

  it('scans generic frames and tells a frame cut short from a bad one', () => {
    const a = encodeFrame('{"n":1}');
    const b = encodeFrame('{"n":"é"}');
    const seen: string[] = [];
    const accept = (p: Buffer) => (seen.push(p.toString()), true);
    expect(scanFrames(Buffer.concat([a, b]), accept)).toEqual({
      validBytes: a.length + b.length,
      stop: 'end',
    });
    expect(seen).toEqual(['{"n":1}', '{"n":"é"}']);
    for (const cut of [1, 8, b.length - 1])
      expect(scanFrames(Buffer.concat([a, b.subarray(0, cut)]), accept)).toEqual({
        validBytes: a.length,
        stop: 'short',
      });
    const flipped = Buffer.from(b);
    flipped[flipped.length - 2] ^= 0xff;
    expect(scanFrames(Buffer.concat([a, flipped, a]), accept)).toEqual({ validBytes: a.length, stop: 'bad' });
    // A payload the reader refuses ends the scan like a corrupt one.
    expect(scanFrames(Buffer.concat([a, b]), (p) => p.toString() === '{"n":1}')).toEqual({
      validBytes: a.length,
      stop: 'bad',
    });
    expect(scanFrames(Buffer.alloc(8), accept)).toEqual({ validBytes: 0, stop: 'bad' });
  });
});
