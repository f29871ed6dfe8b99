import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createTenant, startTestStack, type TestStack } from '../support/stack.js';

let t: TestStack;
let admin: string;

beforeAll(async () => {
  t = await startTestStack();
  admin = await createTenant(t, 'acme');
});
afterAll(async () => t?.close());

describe('tenants and keys', () => {
  it('creates a tenant once with an admin key shaped for secret scanners', async () => {
    const res = await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 'initech' } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { name: string; key: { id: string; secret: string; role: string } };
    expect(body.key.secret).toMatch(/^trb_[a-z0-9]{20}_[A-Za-z0-9_-]{43}$/);
    expect(body.key.role).toBe('admin');
    expect((await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 'initech' } })).status).toBe(
      409,
    );
    const list = (await (await t.call('GET', '/v1/tenants', { key: ADMIN_KEY })).json()) as {
      tenants: { name: string }[];
    };
    expect(list.tenants.map((x) => x.name)).toEqual(expect.arrayContaining(['acme', 'initech']));
  });

  it('shows a secret once, lists keys without secrets or hashes, and a revoked key fails on its next request', async () => {
    const res = await t.call('POST', '/v1/tenants/acme/keys', {
      key: admin,
      body: { name: 'reader', role: 'consumer', streams: ['*'] },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; secret: string; pii: boolean };
    expect(created.pii).toBe(false);
    const me = await t.call('GET', '/v1/me', { key: created.secret });
    expect(await me.json()).toMatchObject({
      kind: 'key',
      tenant: 'acme',
      role: 'consumer',
      keyId: created.id,
    });

    const listed = await (await t.call('GET', '/v1/tenants/acme/keys', { key: admin })).text();
    expect(listed).toContain(created.id);
    // The secret part is base64url, which may itself contain '_': cut off the prefix, do not split.
    const secretPart = created.secret.replace(/^trb_[a-z0-9]{20}_/, '');
    expect(secretPart).toHaveLength(43);
    expect(listed).not.toContain(secretPart);
    expect(listed).not.toContain('hash');

    expect((await t.call('DELETE', `/v1/tenants/acme/keys/${created.id}`, { key: admin })).status).toBe(204);
    expect((await t.call('GET', '/v1/me', { key: created.secret })).status).toBe(401);
    expect((await t.call('DELETE', `/v1/tenants/acme/keys/${created.id}`, { key: admin })).status).toBe(404);
  });

  it('rejects a wrong secret for a real key id (constant-time compare, 401)', async () => {
    const id = admin.split('_')[1];
    const forged = `trb_${id}_${'A'.repeat(43)}`;
    expect((await t.call('GET', '/v1/me', { key: forged })).status).toBe(401);
  });

  it.each([
    [{ name: '', role: 'consumer' }, 'body.name'],
    [{ name: 'x', role: 'owner' }, 'body.role'],
    [{ name: 'x', role: 'consumer', streams: ['Bad Name'] }, 'body.streams.0'],
    [{ name: 'x', role: 'consumer', streams: ['*', 'orders'] }, 'body.streams'],
  ])('rejects bad key input %j with 400 naming %s', async (body, path) => {
    const res = await t.call('POST', '/v1/tenants/acme/keys', { key: admin, body });
    expect(res.status).toBe(400);
    const p = (await res.json()) as { errors: { path: string }[] };
    expect(p.errors.map((e) => e.path)).toContain(path);
  });

  it('answers a malformed Authorization header with 401 and WWW-Authenticate', async () => {
    const res = await t.app.request('/v1/me', { headers: { authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
  });
});
