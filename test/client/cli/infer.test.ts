import { describe, expect, it } from 'vitest';
import { normalizeSpec } from '../../../api/domain/streams/spec.js';
import { Sample } from '../../../client/cli/infer/observe.js';
import { URI_DESCRIPTION, inferSpec } from '../../../client/cli/infer/spec.js';

function infer(records: unknown[], name = 'things') {
  const sample = new Sample();
  for (const r of records) sample.add(r);
  return inferSpec(sample, name);
}

/** The server's own check of a spec: what POST /streams runs before it creates anything. */
function acceptedByServer(spec: ReturnType<typeof infer>['spec']): void {
  const { name: _name, ...rest } = spec;
  normalizeSpec(rest, { buffering: { intervalSeconds: 1, sizeMiB: 1 } });
}

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('infer', () => {
  it('tells integers from numbers and marks nullable and optional fields', () => {
    const { spec } = infer([
      { count: 1, price: 2, note: 'a', maybe: null, sometimes: true },
      { count: 2, price: 2.5, note: null, maybe: null },
      { count: 3, price: 3, note: 'c', maybe: null },
    ]);
    const p = spec.schema.properties;
    expect(p.count).toEqual({ type: 'integer' });
    expect(p.price).toEqual({ type: 'number' });
    expect(p.note).toEqual({ type: ['string', 'null'] });
    expect(p.maybe).toEqual({ type: ['string', 'null'] });
    expect(p.sometimes).toEqual({ type: 'boolean' });
    expect(spec.schema.required).toEqual(['count', 'price', 'note', 'maybe']);
    acceptedByServer(spec);
  });

  it('recognises every format the server checks, and uri as a described string', () => {
    const rows = [1, 2, 3].map((i) => ({
      at: `2024-05-0${i}T10:00:00Z`,
      day: `2024-05-0${i}`,
      email: `user${i}@example.com`,
      key: uuid(i),
      site: `https://example.com/p/${i}`,
      // Not a date-time for the server (lower-case t), so not for infer either.
      loose: `2024-05-0${i}t10:00:00z`,
    }));
    const { spec } = infer(rows);
    const p = spec.schema.properties;
    expect(p.at.format).toBe('date-time');
    expect(p.day.format).toBe('date');
    expect(p.email.format).toBe('email');
    expect(p.key.format).toBe('uuid');
    expect(p.site).toEqual({ type: 'string', description: URI_DESCRIPTION });
    expect(p.loose).toEqual({ type: 'string' });
    expect(spec.piiFields).toEqual(['email']);
    acceptedByServer(spec);
  });

  it('makes enums of low-cardinality strings only, with null in a nullable one', () => {
    const statuses = ['new', 'paid', 'shipped'];
    const rows = Array.from({ length: 30 }, (_, i) => ({
      status: statuses[i % 3],
      coupon: i % 2 ? 'SPRING' : null,
      name: `person ${i}`,
    }));
    const { spec, notes } = infer(rows);
    const p = spec.schema.properties;
    expect(p.status).toEqual({ type: 'string', enum: ['new', 'paid', 'shipped'] });
    expect(p.coupon).toEqual({ type: ['string', 'null'], enum: ['SPRING', null] });
    expect(p.name.enum).toBeUndefined();
    expect(notes.join('\n')).toContain('enums: status, coupon');
    acceptedByServer(spec);
  });

  it('does not make an enum of a handful of distinct values', () => {
    const { spec } = infer([{ s: 'a' }, { s: 'b' }, { s: 'c' }]);
    expect(spec.schema.properties.s).toEqual({ type: 'string' });
  });

  it('describes nested objects and arrays, with their own required fields', () => {
    const { spec } = infer([
      { order: { id: 1, lines: [{ sku: 'a', qty: 1 }, { sku: 'b' }] }, tags: ['x'] },
      { order: { id: 2, lines: [], gift: true }, tags: [] },
    ]);
    const order = spec.schema.properties.order;
    expect(order.type).toBe('object');
    expect(order.required).toEqual(['id', 'lines']);
    expect(order.properties!.gift).toEqual({ type: 'boolean' });
    expect(order.properties!.lines.items).toEqual({
      type: 'object',
      properties: { sku: { type: 'string' }, qty: { type: 'integer' } },
      required: ['sku'],
    });
    expect(spec.schema.properties.tags).toEqual({ type: 'array', items: { type: 'string' } });
    acceptedByServer(spec);
  });

  it('types a field seen with several types as their union', () => {
    const { spec } = infer([{ v: 1 }, { v: 'one' }, { v: 1.5 }]);
    expect(spec.schema.properties.v).toEqual({ type: ['string', 'number'] });
    acceptedByServer(spec);
  });

  it('picks a dedupe key that is present, unique and never null, preferring id-like names', () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({
      seq: i,
      order_id: `o${i}`,
      at: `2024-01-01T00:00:${String(i).padStart(2, '0')}Z`,
      customer: `c${i % 3}`,
      maybe: i === 5 ? null : `m${i}`,
    }));
    const { spec, candidates } = infer(rows);
    expect(candidates).toEqual(['order_id', 'seq']);
    expect(spec.dedupe).toEqual({ key: ['order_id'] });
  });

  it('finds no dedupe key when values repeat or a field is sometimes missing', () => {
    const { spec, notes } = infer([{ a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 2 }]);
    expect(spec.dedupe).toBeUndefined();
    expect(notes.join('\n')).toContain('no dedupe key candidate');
  });

  it('leaves out names the server refuses and says so', () => {
    const { spec, notes } = infer([{ 'Order ID': 1, _hidden: 2, ok: 3, nested: { _id: 1, fine: 2 } }]);
    expect(Object.keys(spec.schema.properties)).toEqual(['ok', 'nested']);
    expect(Object.keys(spec.schema.properties.nested.properties!)).toEqual(['fine']);
    expect(notes.join('\n')).toMatch(/"Order ID" is not a valid property name/);
    expect(notes.join('\n')).toMatch(/"_hidden" starts with '_'/);
    expect(notes.join('\n')).toMatch(/"nested._id" is a reserved name/);
    acceptedByServer(spec);
  });

  it('types a CSV column by all its cells: numbers, booleans and nulls only when every cell reads so', () => {
    const sample = new Sample();
    sample.addCsvRow({ zip: '02134', n: '12', x: '1.5', flag: 'TRUE', empty: '', some: '' });
    sample.addCsvRow({ zip: '10115', n: '-3', x: '2', flag: 'false', empty: '', some: '7' });
    const { spec } = inferSpec(sample, 'rows');
    const p = spec.schema.properties;
    // "02134" is a code, so the column stays text even though "10115" alone would read as a number.
    expect(p.zip).toEqual({ type: 'string' });
    expect(p.n).toEqual({ type: 'integer' });
    expect(p.x).toEqual({ type: 'number' });
    expect(p.flag).toEqual({ type: 'boolean' });
    expect(p.empty).toEqual({ type: ['string', 'null'] });
    expect(p.some).toEqual({ type: ['integer', 'null'] });
    acceptedByServer(spec);
  });

  it('ignores sampled values that are not objects', () => {
    const sample = new Sample();
    sample.add([1, 2]);
    sample.add({ a: 1 });
    const { notes } = inferSpec(sample, 's');
    expect(sample.records).toBe(1);
    expect(notes[0]).toContain('1 sampled values were not JSON objects');
  });
});
