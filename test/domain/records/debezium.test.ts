import { describe, expect, it } from 'vitest';
import { readChangeEvent, type ChangeEvent } from '../../../api/domain/records/debezium.js';
import { enveloped, SourceTable } from '../../support/debezium.js';

const row = { id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' };

function change(value: unknown, sourcePosition?: 'lsn' | 'pos' | 'ts_ms'): ChangeEvent {
  const read = readChangeEvent(value, { format: 'debezium', ...(sourcePosition ? { sourcePosition } : {}) });
  if (read.kind !== 'change') throw new Error(`not a change: ${JSON.stringify(read)}`);
  return read.event;
}

describe('readChangeEvent', () => {
  it('reads a MySQL update in the schema/payload envelope: after image, binlog position, source block', () => {
    const src = new SourceTable('mysql');
    src.insert(row);
    src.update(1004, { email: 'anne@example.com' });
    const event = change(enveloped(src.log[1], 'mysql'));
    const s = src.log[1]!.source;
    expect(event).toEqual({
      op: 'u',
      row: { ...row, email: 'anne@example.com' },
      rowPath: '/payload/after',
      sourceTs: new Date(s.ts_ms as number).toISOString(),
      position: (3n * 10n ** 28n + BigInt(s.pos as number) * 10n ** 8n).toString(),
      source: {
        connector: 'mysql',
        name: 'mysql-server-1',
        db: 'inventory',
        table: 'customers',
        snapshot: 'false',
        server_id: 223344,
        gtid: null,
        file: 'mysql-bin.000003',
        pos: s.pos,
        row: 0,
        thread: 7,
      },
    });
  });

  it('reads a bare PostgreSQL delete: before image (key only), LSN position', () => {
    const src = new SourceTable('postgres');
    src.insert(row);
    src.delete(1004);
    const event = change(src.log[1]);
    expect(event).toMatchObject({
      op: 'd',
      row: { id: 1004, first_name: null },
      rowPath: '/before',
      position: String(src.log[1]!.source.lsn),
      source: { connector: 'postgresql', schema: 'public', table: 'customers', txId: 556 },
    });
    // The tombstone after it, bare and enveloped.
    expect(readChangeEvent(src.log[2], { format: 'debezium' })).toEqual({ kind: 'tombstone' });
    expect(readChangeEvent(enveloped(null, 'postgres'), { format: 'debezium' })).toEqual({
      kind: 'tombstone',
    });
  });

  it('orders binlog positions by file, then pos, then row, as numbers', () => {
    const src = new SourceTable('mysql');
    src.snapshot([row, { ...row, id: 1005 }]);
    src.insert({ ...row, id: 1006 });
    src.updateMany([
      [1004, { first_name: 'a' }],
      [1005, { first_name: 'b' }],
    ]);
    src.rotate();
    src.update(1006, { first_name: 'c' });
    const positions = src.log.map((e) => BigInt(change(e).position));
    // Snapshot rows share the position the snapshot was taken at; everything after sorts strictly.
    expect(positions[0]).toBe(positions[1]);
    for (let i = 2; i < positions.length; i++)
      expect(positions[i] > positions[i - 1], `event ${i}`).toBe(true);
    // One rows event (same pos), rows 0 and 1.
    expect(positions[4] - positions[3]).toBe(1n);
    // mysql-bin.000004 at pos 4 sorts after any pos of mysql-bin.000003.
    expect(src.log[5]!.source.pos).toBeLessThan(src.log[4]!.source.pos as number);
  });

  it('falls back to lsn, then file/pos, then ts_ms when no sourcePosition is set', () => {
    const base = { before: null, after: row, op: 'c', ts_ms: 1 };
    expect(change({ ...base, source: { ts_ms: 5, lsn: 77 } }).position).toBe('77');
    expect(change({ ...base, source: { ts_ms: 5, file: 'binlog.000002', pos: 9 } }).position).toBe(
      (2n * 10n ** 28n + 9n * 10n ** 8n).toString(),
    );
    expect(change({ ...base, source: { ts_ms: 5 } }).position).toBe('5');
    // A configured ts_ms ignores the LSN.
    expect(change({ ...base, source: { ts_ms: 5, lsn: 77 } }, 'ts_ms').position).toBe('5');
  });

  it('names what is missing or wrong, at the path inside the event', () => {
    const problems = (value: unknown, sourcePosition?: 'lsn' | 'pos') => {
      const read = readChangeEvent(value, {
        format: 'debezium',
        ...(sourcePosition ? { sourcePosition } : {}),
      });
      return read.kind === 'invalid' ? read.problems : [];
    };
    expect(problems({ schema: {}, payload: { after: row, source: { ts_ms: 1 } } })).toEqual([
      { path: '/payload/op', message: 'required' },
    ]);
    expect(problems({ op: 't', source: { ts_ms: 1 } })).toEqual([
      { path: '/op', message: 'must be one of c, u, d, r (got "t")' },
    ]);
    expect(problems({ op: 'c', after: null, source: { ts_ms: 1 } })).toEqual([
      { path: '/after', message: 'required for op c' },
    ]);
    expect(problems({ op: 'u', after: row })).toEqual([{ path: '/source', message: 'required' }]);
    expect(problems({ op: 'u', after: row, source: { ts_ms: -1 } })).toEqual([
      { path: '/source/ts_ms', message: 'required: a non-negative integer (ms)' },
    ]);
    expect(problems({ op: 'u', after: row, source: { ts_ms: 1, file: 'mysql-bin', pos: 4 } }, 'pos')).toEqual(
      [
        {
          path: '/source/file',
          message: 'required: a binlog file name ending in its sequence number, like mysql-bin.000003',
        },
      ],
    );
    expect(problems({ op: 'u', after: row, source: { ts_ms: 1, lsn: '0/16B3748' } }, 'lsn')).toEqual([
      { path: '/source/lsn', message: 'required: a non-negative integer (sourcePosition is lsn)' },
    ]);
    expect(problems({ schema: null, payload: [] })).toEqual([
      { path: '/payload', message: 'must be an object or null' },
    ]);
    expect(problems('text')).toEqual([{ path: '', message: 'a change event must be an object or null' }]);
  });
});
