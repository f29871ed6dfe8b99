import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStream,
  createTenant,
  ordersSchema,
  startTestStack,
  type TestStack,
} from '../support/stack.js';

let t: TestStack;
let admin: string;

beforeAll(async () => {
  t = await startTestStack();
  admin = await createTenant(t, 'acme');
});
afterAll(async () => t?.close());

type Problem = { status: number; code: string; detail: string; errors?: { path: string; message: string }[] };

describe('streams', () => {
  it('creates a stream with defaults and refuses a duplicate name', async () => {
    const res = await createStream(t, 'acme', admin, {
      name: 'orders',
      schema: ordersSchema,
      dedupe: { key: ['order_id'] },
    });
    expect(res.status).toBe(201);
    const s = (await res.json()) as Record<string, unknown>;
    expect(s).toMatchObject({
      name: 'orders',
      version: 1,
      compatibility: 'BACKWARD',
      piiFields: [],
      clusterBy: [],
      dedupe: { key: ['order_id'] },
    });
    expect(s.buffering).toEqual({ intervalSeconds: 0.2, sizeMiB: 5 });
    expect(typeof s.createdAt).toBe('string');
    expect(s).not.toHaveProperty('revision');
    const dup = await createStream(t, 'acme', admin, { name: 'orders', schema: ordersSchema });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as Problem).code).toBe('already_exists');
  });

  it.each([
    ['Orders', 'body.name'],
    ['1orders', 'body.name'],
    ['a'.repeat(64), 'body.name'],
    ['or-ders', 'body.name'],
  ])('rejects the name %s with 400 naming the rule', async (name, path) => {
    const res = await createStream(t, 'acme', admin, { name, schema: ordersSchema });
    expect(res.status).toBe(400);
    const p = (await res.json()) as Problem;
    expect(p.errors?.[0]?.path).toBe(path);
    expect(p.detail).toContain('^[a-z][a-z0-9_]{0,62}$');
  });

  it('rejects an unsupported schema keyword, naming it', async () => {
    const res = await createStream(t, 'acme', admin, {
      name: 'bad_kw',
      schema: { type: 'object', properties: { a: { type: 'string', pattern: '^x' } } },
    });
    expect(res.status).toBe(400);
    const p = (await res.json()) as Problem;
    expect(JSON.stringify(p.errors)).toContain('pattern');
  });

  it.each([
    [{ dedupe: { key: ['nope'] } }, 'dedupe.key.0'],
    [{ entity: { key: ['order_id'], orderBy: 'missing' } }, 'entity.orderBy'],
    [{ entity: { key: ['order_id'], deleteField: 'status' } }, 'entity.deleteField'],
    [{ piiFields: ['ssn'] }, 'piiFields.0'],
    [{ clusterBy: ['zzz'] }, 'clusterBy.0'],
  ])('rejects a bad field reference %j naming it', async (extra, path) => {
    const res = await createStream(t, 'acme', admin, { name: 'bad_ref', schema: ordersSchema, ...extra });
    expect(res.status).toBe(400);
    const p = (await res.json()) as Problem;
    expect(p.errors?.map((e) => e.path)).toContain(path);
  });

  it('refuses clustering on an object, array or mixed-type field, at create and on PATCH', async () => {
    const schema = {
      ...ordersSchema,
      properties: {
        ...ordersSchema.properties,
        meta: { type: 'object' },
        tags: { type: 'array', items: { type: 'string' } },
        either: { type: ['string', 'integer'] },
      },
    };
    for (const field of ['meta', 'tags', 'either']) {
      const res = await createStream(t, 'acme', admin, { name: 'clustered', schema, clusterBy: [field] });
      expect(res.status, field).toBe(400);
      const p = (await res.json()) as Problem;
      expect(p.errors, field).toEqual([{ path: 'clusterBy.0', message: expect.stringContaining(field) }]);
    }
    expect((await createStream(t, 'acme', admin, { name: 'clustered', schema })).status).toBe(201);
    const patch = await t.call('PATCH', '/v1/tenants/acme/streams/clustered', {
      key: admin,
      body: { clusterBy: ['customer', 'meta'] },
    });
    expect(patch.status).toBe(400);
    expect(((await patch.json()) as Problem).errors?.map((e) => e.path)).toEqual(['clusterBy.1']);
  });

  it('rejects unknown spec properties and wrong types with 400', async () => {
    const res = await createStream(t, 'acme', admin, {
      name: 'x',
      schema: ordersSchema,
      compatibility: 'SIDEWAYS',
      nonsense: 1,
    });
    expect(res.status).toBe(400);
    const paths = ((await res.json()) as Problem).errors?.map((e) => e.path) ?? [];
    expect(paths).toContain('body.compatibility');
    expect(paths.some((p) => p === 'body' || p.startsWith('body'))).toBe(true);
  });

  it('answers malformed JSON and wrong content types with 4xx naming the problem', async () => {
    const malformed = await t.call('POST', '/v1/tenants/acme/streams', {
      key: admin,
      raw: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Problem).detail).toMatch(/Malformed JSON/);
    const text = await t.call('POST', '/v1/tenants/acme/streams', {
      key: admin,
      raw: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
  });

  it('evolves compatibly to version 2, lists versions, and dry-runs without changing anything', async () => {
    const added = { ...ordersSchema, properties: { ...ordersSchema.properties, coupon: { type: 'string' } } };
    const dry = await t.call('PATCH', '/v1/tenants/acme/streams/orders?dryRun=true', {
      key: admin,
      body: { schema: added },
    });
    expect(dry.status).toBe(200);
    const verdict = (await dry.json()) as {
      compatible: boolean;
      toVersion: number;
      changes: { field: string }[];
      ddl: string[];
    };
    expect(verdict).toMatchObject({ compatible: true, toVersion: 2 });
    expect(verdict.changes.map((c) => c.field)).toContain('coupon');
    expect(verdict.ddl.join('\n')).toMatch(/ADD COLUMN/i);
    expect(
      (
        (await (await t.call('GET', '/v1/tenants/acme/streams/orders', { key: admin })).json()) as {
          version: number;
        }
      ).version,
    ).toBe(1);

    const res = await t.call('PATCH', '/v1/tenants/acme/streams/orders', {
      key: admin,
      body: { schema: added },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { version: number }).version).toBe(2);
    const versions = (await (
      await t.call('GET', '/v1/tenants/acme/streams/orders/versions', { key: admin })
    ).json()) as {
      versions: { version: number }[];
    };
    expect(versions.versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('refuses an incompatible change with 409 listing every offending field', async () => {
    const current = (await (
      await t.call('GET', '/v1/tenants/acme/streams/orders', { key: admin })
    ).json()) as { schema: typeof ordersSchema };
    const bad = {
      ...current.schema,
      properties: { ...current.schema.properties, amount: { type: 'string' }, customer: { type: 'integer' } },
      required: ['order_id', 'amount', 'customer'],
    };
    const res = await t.call('PATCH', '/v1/tenants/acme/streams/orders', {
      key: admin,
      body: { schema: bad },
    });
    expect(res.status).toBe(409);
    const p = (await res.json()) as Problem;
    expect(p.code).toBe('schema_incompatible');
    const fields = new Set(p.errors?.map((e) => e.path));
    expect(fields.has('amount')).toBe(true);
    expect(fields.has('customer')).toBe(true);
    const dry = await t.call('PATCH', '/v1/tenants/acme/streams/orders?dryRun=true', {
      key: admin,
      body: { schema: bad },
    });
    expect(((await dry.json()) as { compatible: boolean }).compatible).toBe(false);
  });

  it('refuses removing a dedupe key field', async () => {
    const current = (await (
      await t.call('GET', '/v1/tenants/acme/streams/orders', { key: admin })
    ).json()) as { schema: typeof ordersSchema };
    const { order_id: _drop, ...rest } = current.schema.properties;
    const res = await t.call('PATCH', '/v1/tenants/acme/streams/orders', {
      key: admin,
      body: { schema: { ...current.schema, properties: rest, required: ['amount'] } },
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toContain('order_id');
  });

  it('refuses re-adding a removed property with a different column type (its column stays)', async () => {
    const current = (await (
      await t.call('GET', '/v1/tenants/acme/streams/orders', { key: admin })
    ).json()) as {
      schema: { type: string; required?: string[]; properties: Record<string, unknown> };
    };
    const { coupon: _gone, ...rest } = current.schema.properties;
    const removed = await t.call('PATCH', '/v1/tenants/acme/streams/orders', {
      key: admin,
      body: { schema: { ...current.schema, properties: rest } },
    });
    expect(removed.status).toBe(200);
    const back = { ...current.schema, properties: { ...rest, coupon: { type: 'integer' } } };
    const res = await t.call('PATCH', '/v1/tenants/acme/streams/orders', {
      key: admin,
      body: { schema: back },
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toContain('coupon');
    const same = { ...current.schema, properties: { ...rest, coupon: { type: 'string' } } };
    expect(
      (await t.call('PATCH', '/v1/tenants/acme/streams/orders', { key: admin, body: { schema: same } }))
        .status,
    ).toBe(200);
  });

  it('deletes a stream: ingest stops with 409, the stream and its data stay readable', async () => {
    await createStream(t, 'acme', admin, { name: 'temp', schema: ordersSchema });
    expect((await t.call('DELETE', '/v1/tenants/acme/streams/temp', { key: admin })).status).toBe(204);
    const post = await t.call('POST', '/v1/tenants/acme/streams/temp/records', {
      key: admin,
      body: [{ order_id: 'a', amount: 1 }],
    });
    expect(post.status).toBe(409);
    const got = (await (await t.call('GET', '/v1/tenants/acme/streams/temp', { key: admin })).json()) as {
      deletedAt?: string;
    };
    expect(got.deletedAt).toBeDefined();
    expect((await t.call('GET', '/v1/tenants/acme/streams/temp/records', { key: admin })).status).toBe(200);
  });

  it('unknown routes and streams give problem+json 404s with a request id', async () => {
    const res = await t.call('GET', '/v1/nowhere', { key: admin });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const missing = await t.call('GET', '/v1/tenants/acme/streams/nope', { key: admin });
    expect(missing.status).toBe(404);
  });
});

describe('buffering hints, one at a time (as in Firehose)', () => {
  const get = async (name: string) =>
    (
      (await (await t.call('GET', `/v1/tenants/acme/streams/${name}`, { key: admin })).json()) as {
        buffering: { intervalSeconds: number; sizeMiB: number };
      }
    ).buffering;

  it.each([
    ['buf_interval', { intervalSeconds: 5 }, { intervalSeconds: 5, sizeMiB: 5 }],
    ['buf_size', { sizeMiB: 1.5 }, { intervalSeconds: 0.2, sizeMiB: 1.5 }],
    ['buf_none', {}, { intervalSeconds: 0.2, sizeMiB: 5 }],
    ['buf_both', { intervalSeconds: 30, sizeMiB: 64 }, { intervalSeconds: 30, sizeMiB: 64 }],
  ])('creates %s with %j: an omitted hint takes the server default', async (name, buffering, want) => {
    const res = await createStream(t, 'acme', admin, { name, schema: ordersSchema, buffering });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { buffering: unknown }).buffering).toEqual(want);
    expect(await get(name)).toEqual(want);
    expect((await t.stack.services.catalog.getStream('acme', name))?.buffering).toEqual(want);
  });

  it.each([
    [{ intervalSeconds: 0 }, 'body.buffering.intervalSeconds'],
    [{ sizeMiB: 500 }, 'body.buffering.sizeMiB'],
    [{ sizeMiB: '5' }, 'body.buffering.sizeMiB'],
    [{ intervalSeconds: 5, every: 1 }, 'body.buffering'],
  ])('still refuses a bad hint %j with 400 naming it', async (buffering, path) => {
    const res = await createStream(t, 'acme', admin, { name: 'buf_bad', schema: ordersSchema, buffering });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toContain(path);
  });

  it('updates one hint and keeps the other, on PATCH', async () => {
    expect((await createStream(t, 'acme', admin, { name: 'buf_patch', schema: ordersSchema })).status).toBe(
      201,
    );
    const patch = async (buffering: unknown) => {
      const res = await t.call('PATCH', '/v1/tenants/acme/streams/buf_patch', {
        key: admin,
        body: { buffering },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { buffering: unknown }).buffering;
    };
    expect(await patch({ intervalSeconds: 5 })).toEqual({ intervalSeconds: 5, sizeMiB: 5 });
    expect(await patch({ sizeMiB: 2 })).toEqual({ intervalSeconds: 5, sizeMiB: 2 });
    expect(await patch({})).toEqual({ intervalSeconds: 5, sizeMiB: 2 });
    // A PATCH that does not mention buffering leaves it alone too.
    const other = await t.call('PATCH', '/v1/tenants/acme/streams/buf_patch', {
      key: admin,
      body: { description: 'still 5 s / 2 MiB' },
    });
    expect(((await other.json()) as { buffering: unknown }).buffering).toEqual({
      intervalSeconds: 5,
      sizeMiB: 2,
    });
    expect(await get('buf_patch')).toEqual({ intervalSeconds: 5, sizeMiB: 2 });
    const bad = await t.call('PATCH', '/v1/tenants/acme/streams/buf_patch', {
      key: admin,
      body: { buffering: { sizeMiB: 0 } },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).errors?.map((e) => e.path)).toContain('body.buffering.sizeMiB');
    expect(await get('buf_patch')).toEqual({ intervalSeconds: 5, sizeMiB: 2 });
  });

  it('ingests into a stream created with one hint', async () => {
    const res = await t.call('POST', '/v1/tenants/acme/streams/buf_interval/records', {
      key: admin,
      body: [{ order_id: 'b1', amount: 1 }],
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(1);
  });
});
