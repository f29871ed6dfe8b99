import { describe, expect, it } from 'vitest';
import { MAX_LINE_ERRORS } from '../../../api/domain/records/build-batch.js';
import { escapeLoneSurrogates } from '../../../api/domain/records/text-policy.js';
import { linesOf } from '../../support/ndjson.js';
import { makeStream } from '../../support/stream.js';
import { parseAndBuild } from './helpers.js';

const stream = makeStream({
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      n: { type: 'number' },
      meta: { type: 'object' },
      tags: { type: 'array', items: { type: 'integer' } },
    },
    required: ['id'],
  },
});

async function build(body: string, contentType = 'application/json') {
  const built = await parseAndBuild(stream, body, contentType);
  return { ...built, raw: linesOf(built.batch.records), quarantine: linesOf(built.batch.rejects) };
}

const RECORDS = [
  '{"id":"clean","n":1.5}',
  '{"id":"lone","meta":{"s":"\\ud800"}}',
  '{"id":"key","meta":{"\\udc00":1}}',
  '{"id":"inf","n":1e400}',
  '{"id":"nested-inf","meta":{"x":[-1e999]}}',
  '{"id":"int","meta":{"x":9007199254740993}}',
  '{"id":"exact","meta":{"x":9007199254740992},"n":-0,"z":"\\u0000"}',
  '{"id":"sys","_id":"mine"}',
  '{"id":"sys2","_Received_At":"x","extra":1}',
  '{"id":"pair","meta":{"s":"\\ud83d\\ude00"}}',
];

describe('buildBatch under the text policy', () => {
  for (const [shape, body, type] of [
    ['JSON array', `[${RECORDS.join(',')}]`, 'application/json'],
    [
      'pretty {"records"}',
      `{"records": [\n  ${RECORDS.map((r) => r.replace(/,"/g, ',\n    "')).join(',\n  ')}\n]}`,
      'application/json',
    ],
    ['NDJSON', RECORDS.join('\n'), 'application/x-ndjson'],
  ] as const) {
    it(`rejects odd records by path and stores the rest as validated (${shape})`, async () => {
      const { raw, quarantine, errors } = await build(body, type);
      const rejected = [...new Set(errors.map((e) => e.index))];
      const expectedErrors = [
        {
          index: 1,
          path: '/meta/s',
          message: expect.stringMatching(/^invalid Unicode \(lone surrogate \\ud800\)/),
        },
        { index: 2, path: '/meta/\\udc00', message: expect.stringMatching(/^invalid Unicode in a key/) },
        { index: 3, path: '/n', message: expect.stringMatching(/^number out of range: 1e400/) },
        { index: 4, path: '/meta/x/0', message: expect.stringMatching(/^number out of range/) },
        {
          index: 5,
          path: '/meta/x',
          message: expect.stringMatching(/^integer 9007199254740993 cannot be stored/),
        },
        { index: 7, path: '/_id', message: expect.stringMatching(/^reserved name: _id is a system field/) },
        { index: 8, path: '/_Received_At', message: expect.stringMatching(/^reserved name/) },
      ];
      expect(errors).toEqual(expectedErrors);
      expect(rejected).toEqual([1, 2, 3, 4, 5, 7, 8]);

      const stored = raw.map((l) => JSON.parse(l) as { _index: number; record: unknown; extra?: unknown });
      expect(stored.map((l) => l._index)).toEqual([0, 6, 9]);
      for (const line of stored) {
        const sent = JSON.parse(RECORDS[line._index]) as Record<string, unknown>;
        const { z, ...declared } = sent;
        // -0 equals 0 in JSON; it is written (and read back) as 0.
        if (Object.is(declared.n, -0)) declared.n = 0;
        expect(line.record).toEqual(declared);
        if (z !== undefined) expect(line.extra).toEqual({ z });
      }

      expect(quarantine).toHaveLength(7);
      for (const line of quarantine) {
        // Loadable: one line, no lone surrogate escape left for a warehouse to refuse.
        expect(escapeLoneSurrogates(line)).toBe(line);
        expect(() => JSON.parse(line) as unknown).not.toThrow();
      }
      const q = quarantine.map((l) => JSON.parse(l) as { _index: number; record: Record<string, unknown> });
      expect(q.map((l) => l._index)).toEqual([1, 2, 3, 4, 5, 7, 8]);
      expect(q[0].record).toEqual({ id: 'lone', meta: { s: '\\ud800' } });
      expect(q[1].record).toEqual({ id: 'key', meta: { '\\udc00': 1 } });
      expect(q[2].record).toEqual({ id: 'inf', n: '1e400' });
      expect(quarantine[4]).toContain('"record":{"id":"int","meta":{"x":9007199254740993}}');
      expect(q[5].record).toEqual({ id: 'sys', _id: 'mine' });
    });
  }

  it('copies a clean flat record as it arrived and quarantines a clean rejected one as it arrived', async () => {
    const { raw, quarantine } = await build('[{"id":"a","n":1.50}, {"n":2.0}]');
    expect(raw[0]).toContain('"record":{"id":"a","n":1.50}}');
    expect(quarantine[0]).toContain('"record":{"n":2.0},');
  });

  it('keeps at most MAX_LINE_ERRORS errors in a quarantine line, and all of them in the answer', async () => {
    const tags = Array.from({ length: 250 }, () => '"x"').join(',');
    const { quarantine, errors } = await build(`[{"id":"t","tags":[${tags}]}]`);
    expect(errors).toHaveLength(250);
    const line = JSON.parse(quarantine[0]) as { errors: Array<{ path: string; message: string }> };
    expect(line.errors).toHaveLength(MAX_LINE_ERRORS + 1);
    expect(line.errors[MAX_LINE_ERRORS]).toEqual({
      path: '',
      message: '150 more errors (see the ingest response)',
    });
  });
});
