/**
 * Debezium change events for tests, written from the field layout of Debezium's documented examples
 * (MySQL and PostgreSQL connectors, `customers` table): `before`/`after` row images, a `source` block
 * (MySQL: server_id, gtid, binlog file/pos/row; PostgreSQL: txId, lsn, sequence), `op` c/u/d/r and
 * `ts_ms`. A `SourceTable` plays the database: each change it makes is one event, in source order.
 */

export type Flavor = 'mysql' | 'postgres';

export interface Customer {
  id: number;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
}

/** The stream schema the events' row images are validated against. */
export const customersSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    first_name: { type: ['string', 'null'] },
    last_name: { type: ['string', 'null'] },
    email: { type: ['string', 'null'], format: 'email' },
  },
  required: ['id'],
};

/** The bare event (`schemas.enable=false`), as Debezium Server's HTTP sink sends it. */
export interface ChangeEventValue {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: Record<string, unknown>;
  op: 'c' | 'u' | 'd' | 'r';
  ts_ms: number;
  transaction: null;
}

/** The JSON converter's envelope around a value (schemas.enable=true). */
export function enveloped(value: ChangeEventValue | null, flavor: Flavor): unknown {
  return { schema: value === null ? null : envelopeSchema(flavor), payload: value };
}

function rowSchema(flavor: Flavor, field: 'before' | 'after') {
  const name =
    flavor === 'mysql'
      ? 'mysql-server-1.inventory.customers.Value'
      : 'PostgreSQL_server.public.customers.Value';
  return {
    type: 'struct',
    fields: [
      { type: 'int32', optional: false, field: 'id' },
      { type: 'string', optional: true, field: 'first_name' },
      { type: 'string', optional: true, field: 'last_name' },
      { type: 'string', optional: true, field: 'email' },
    ],
    optional: true,
    name,
    field,
  };
}

function envelopeSchema(flavor: Flavor) {
  const sourceFields =
    flavor === 'mysql'
      ? [
          'version',
          'connector',
          'name',
          'ts_ms',
          'snapshot',
          'db',
          'table',
          'server_id',
          'gtid',
          'file',
          'pos',
          'row',
          'thread',
          'query',
        ]
      : [
          'version',
          'connector',
          'name',
          'ts_ms',
          'snapshot',
          'db',
          'sequence',
          'schema',
          'table',
          'txId',
          'lsn',
          'xmin',
        ];
  return {
    type: 'struct',
    fields: [
      rowSchema(flavor, 'before'),
      rowSchema(flavor, 'after'),
      {
        type: 'struct',
        fields: sourceFields.map((f) => ({ type: 'string', optional: true, field: f })),
        optional: false,
        name:
          flavor === 'mysql'
            ? 'io.debezium.connector.mysql.Source'
            : 'io.debezium.connector.postgresql.Source',
        field: 'source',
      },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
    ],
    optional: false,
    name:
      flavor === 'mysql'
        ? 'mysql-server-1.inventory.customers.Envelope'
        : 'PostgreSQL_server.public.customers.Envelope',
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing sequence can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * One source table and its change log. Every change appends its event (and, for a delete, the
 * tombstone Debezium sends after it: a null value) in source order.
 */
export class SourceTable {
  readonly rows = new Map<number, Customer>();
  /** Change events and tombstones (null), in source (commit) order. */
  readonly log: Array<ChangeEventValue | null> = [];
  private tsMs = 1_767_225_600_000;
  private binlogFile = 3;
  private binlogPos = 154;
  private lsn = 24_023_128;
  private txId = 555;

  constructor(readonly flavor: Flavor) {}

  /** An initial snapshot: one `r` per row, all at the position the snapshot was taken at. */
  snapshot(rows: Customer[]): void {
    const at = this.sourceBlock(0);
    rows.forEach((row, i) => {
      this.rows.set(row.id, row);
      const last = i === rows.length - 1;
      this.log.push({
        before: null,
        after: { ...row },
        source: { ...at, snapshot: last ? 'last' : 'true', ...(this.flavor === 'mysql' ? { row: 0 } : {}) },
        op: 'r',
        ts_ms: this.tsMs + 50,
        transaction: null,
      });
    });
    this.advance();
  }

  insert(row: Customer): void {
    if (this.rows.has(row.id)) throw new Error(`row ${row.id} exists`);
    this.rows.set(row.id, row);
    this.change('c', null, { ...row });
  }

  update(id: number, patch: Partial<Omit<Customer, 'id'>>): void {
    const old = this.rows.get(id);
    if (!old) throw new Error(`no row ${id}`);
    const row = { ...old, ...patch };
    this.rows.set(id, row);
    // PostgreSQL's default replica identity leaves `before` null on updates.
    this.change('u', this.flavor === 'postgres' ? null : { ...old }, { ...row });
  }

  delete(id: number): void {
    const old = this.rows.get(id);
    if (!old) throw new Error(`no row ${id}`);
    this.rows.delete(id);
    // PostgreSQL's default replica identity keeps only the primary key in a delete's `before`.
    this.change(
      'd',
      this.flavor === 'postgres' ? { id, first_name: null, last_name: null, email: null } : { ...old },
      null,
    );
    this.log.push(null);
  }

  /**
   * Several updates in one transaction: MySQL writes them as one rows event (one pos, `row` 0..n-1),
   * PostgreSQL gives each its own LSN within one txId.
   */
  updateMany(changes: Array<[number, Partial<Omit<Customer, 'id'>>]>): void {
    changes.forEach(([id, patch], row) => {
      const old = this.rows.get(id);
      if (!old) throw new Error(`no row ${id}`);
      const next = { ...old, ...patch };
      this.rows.set(id, next);
      this.log.push({
        before: this.flavor === 'postgres' ? null : { ...old },
        after: { ...next },
        source: { ...this.sourceBlock(row), snapshot: 'false' },
        op: 'u',
        ts_ms: this.tsMs + 7,
        transaction: null,
      });
      if (this.flavor === 'postgres') this.lsn += 56;
    });
    this.advance();
  }

  /** MySQL starts a new binlog file (FLUSH LOGS, or max_binlog_size reached). */
  rotate(): void {
    this.binlogFile++;
    this.binlogPos = 4;
  }

  private change(op: 'c' | 'u' | 'd', before: ChangeEventValue['before'], after: ChangeEventValue['after']) {
    this.log.push({
      before,
      after,
      source: { ...this.sourceBlock(0), snapshot: 'false' },
      op,
      ts_ms: this.tsMs + 7,
      transaction: null,
    });
    this.advance();
  }

  private sourceBlock(row: number): Record<string, unknown> {
    const common = { version: '2.7.0.Final', ts_ms: this.tsMs };
    if (this.flavor === 'mysql') {
      return {
        ...common,
        connector: 'mysql',
        name: 'mysql-server-1',
        db: 'inventory',
        table: 'customers',
        server_id: 223344,
        gtid: null,
        file: `mysql-bin.${String(this.binlogFile).padStart(6, '0')}`,
        pos: this.binlogPos,
        row,
        thread: 7,
        query: null,
      };
    }
    return {
      ...common,
      connector: 'postgresql',
      name: 'PostgreSQL_server',
      db: 'postgres',
      sequence: JSON.stringify([String(this.lsn - 9), String(this.lsn)]),
      schema: 'public',
      table: 'customers',
      txId: this.txId,
      lsn: this.lsn,
      xmin: null,
    };
  }

  /** Moves the log on: time by a few ms (often not at all: ties on ts_ms are real), position by one event. */
  private advance(): void {
    this.tsMs += this.log.length % 3 === 0 ? 0 : 3;
    this.binlogPos += 387;
    this.lsn += 184;
    this.txId += 1;
  }
}

/** The table a log describes, applying its changes in source order: the entity layer must equal it. */
export function applyInOrder(log: ReadonlyArray<ChangeEventValue | null>): Map<number, Customer> {
  const table = new Map<number, Customer>();
  for (const e of log) {
    if (e === null) continue;
    if (e.op === 'd') table.delete(e.before!.id as number);
    else table.set(e.after!.id as number, e.after as unknown as Customer);
  }
  return table;
}
