import { describe, expect, it } from 'vitest';
import type { Stream } from '../../../client/index.js';
import { planStreams } from '../../../client/cli/apply/plan.js';
import { renderPlan } from '../../../client/cli/apply/render.js';
import { readStreamsFile } from '../../../client/cli/apply/spec-file.js';
import { CliError } from '../../../client/cli/errors.js';

const schema = {
  type: 'object',
  properties: { id: { type: 'string' }, n: { type: 'integer' }, email: { type: 'string', format: 'email' } },
  required: ['id'],
};

function stream(over: Partial<Stream> = {}): Stream {
  return {
    name: 'orders',
    version: 1,
    schema,
    dedupe: { key: ['id'] },
    piiFields: ['email'],
    clusterBy: [],
    compatibility: 'BACKWARD',
    buffering: { intervalSeconds: 1, sizeMiB: 5 },
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-01T00:00:00Z',
    ...over,
  };
}

describe('apply plan', () => {
  it('finds nothing to do when the file says what the stream is, whatever the key order', () => {
    const reordered = {
      required: ['id'],
      properties: {
        n: { type: 'integer' },
        email: { format: 'email', type: 'string' },
        id: { type: 'string' },
      },
      type: 'object',
    };
    const [item] = planStreams(
      [{ name: 'orders', schema: reordered, dedupe: { key: ['id'] }, piiFields: ['email'] }],
      [stream()],
      false,
    );
    expect(item.action).toBe('unchanged');
  });

  it('patches only what the file states and the stream lacks', () => {
    const wider = { ...schema, properties: { ...schema.properties, note: { type: 'string' } } };
    const [item] = planStreams(
      [{ name: 'orders', schema: wider, piiFields: ['email', 'n'], buffering: { intervalSeconds: 2 } }],
      [stream()],
      false,
    );
    expect(item.action).toBe('update');
    expect(item.patch).toEqual({
      schema: wider,
      piiFields: ['email', 'n'],
      buffering: { intervalSeconds: 2, sizeMiB: 5 },
    });
    expect(item.changes.map((c) => c.field)).toEqual(['piiFields', 'buffering']);
  });

  it('refuses to change dedupe or entity, and a deleted stream, before asking the server', () => {
    const [changedKey] = planStreams([{ name: 'orders', schema, dedupe: { key: ['n'] } }], [stream()], false);
    expect(changedKey.problems).toEqual([
      expect.objectContaining({ path: 'dedupe', message: expect.stringContaining('cannot change') }),
    ]);
    const cdc = { format: 'debezium' as const, sourcePosition: 'lsn' as const };
    const [kept] = planStreams(
      [{ name: 'orders', schema, cdc }],
      [stream({ entity: { key: ['id'] }, cdc })],
      false,
    );
    expect(kept).toMatchObject({ action: 'unchanged', problems: [] });
    const [madeCdc] = planStreams([{ name: 'orders', schema, cdc }], [stream()], false);
    expect(madeCdc.problems).toEqual([
      { path: 'cdc', message: 'cannot change after creation (it defines how changes apply); it is null' },
    ]);
    const [gone] = planStreams(
      [{ name: 'orders', schema }],
      [stream({ deletedAt: '2024-02-01T00:00:00Z' })],
      false,
    );
    expect(gone.problems[0].message).toContain('was deleted');
  });

  it("checks a new stream with the server's own rules", () => {
    const [item] = planStreams(
      [
        {
          name: 'fresh',
          schema: { type: 'object', properties: { a: { type: 'strin' } } },
          dedupe: { key: ['b'] },
        },
      ],
      [],
      false,
    );
    expect(item.action).toBe('create');
    expect(item.problems.map((p) => p.path)).toEqual(['schema.properties.a.type']);
    const [keyless] = planStreams([{ name: 'fresh', schema, dedupe: { key: ['nope'] } }], [], false);
    expect(keyless.problems).toEqual([
      { path: 'dedupe.key.0', message: "'nope' is not a property of the schema" },
    ]);
  });

  it('keeps streams the file does not name unless pruning, and never touches deleted ones', () => {
    const current = [
      stream(),
      stream({ name: 'legacy' }),
      stream({ name: 'old', deletedAt: '2024-01-02T00:00:00Z' }),
    ];
    const desired = [{ name: 'orders', schema }];
    expect(planStreams(desired, current, false).map((i) => [i.name, i.action])).toEqual([
      ['orders', 'unchanged'],
      ['legacy', 'keep'],
    ]);
    expect(planStreams(desired, current, true).map((i) => [i.name, i.action])).toEqual([
      ['orders', 'unchanged'],
      ['legacy', 'delete'],
    ]);
  });

  it('renders one line per stream with its changes and problems', () => {
    const items = planStreams(
      [
        { name: 'orders', schema, piiFields: [] },
        { name: 'fresh', schema },
      ],
      [stream()],
      false,
    );
    items[0].compatible = true;
    expect(renderPlan(items)).toEqual([
      '~ orders: update, compatible',
      '    ~ piiFields: ["email"] → []',
      '+ fresh: create (3 fields)',
    ]);
  });
});

describe('streams file', () => {
  const read = (text: string) => readStreamsFile('streams.yaml', text);

  it('takes one spec per document, or a tenant and a list', async () => {
    expect(
      await read(
        'name: a\nschema: {type: object, properties: {}}\n---\nname: b\nschema: {type: object, properties: {}}\n',
      ),
    ).toEqual({
      streams: [
        { name: 'a', schema: { type: 'object', properties: {} } },
        { name: 'b', schema: { type: 'object', properties: {} } },
      ],
    });
    expect(
      await read('{"tenant": "acme", "streams": [{"name": "a", "schema": {"type": "object"}}]}'),
    ).toEqual({
      tenant: 'acme',
      streams: [{ name: 'a', schema: { type: 'object' } }],
    });
  });

  it('names the document and the problem', async () => {
    const fails = async (text: string, message: RegExp) => {
      const err = await read(text).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as Error).message).toMatch(message);
    };
    await fails('name: a\nschema: [unclosed\n', /^streams.yaml: /);
    await fails('name: Bad Name\nschema: {}\n', /name must match/);
    await fails('name: a\nschema: {}\nschemas: {}\n', /a: unknown field 'schemas'/);
    await fails('name: a\n', /a: schema is required/);
    await fails('name: a\nschema: {}\n---\nname: a\nschema: {}\n', /'a' is defined twice/);
    await fails('streams: {}\n', /streams must be a list/);
  });
});
