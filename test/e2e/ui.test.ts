import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clockLabel } from '../../web/src/clockAxis.js';
import {
  buildWeb,
  canvasText,
  freePort,
  repoRoot,
  startServer,
  recordCanvasText,
  watchPage,
  type PageWatch,
  type RunningServer,
} from './harness.js';

const ADMIN_KEY = 'e2e-platform-key-0123456789abcdefghijklmnop';
const SHOTS = path.join(repoRoot, 'test-results', 'screenshots');
// The real server by default; another entry point can be given to run the same flow against it.
const ENTRY = process.env.TRIBUTARY_E2E_SERVER ?? 'api/server.ts';

const SCHEMA = {
  type: 'object',
  properties: {
    order_id: { type: 'string' },
    amount: { type: 'number' },
    email: { type: 'string' },
    placed_at: { type: 'string', format: 'date-time' },
  },
  required: ['order_id', 'amount'],
};

let server: RunningServer;
let dataDir: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let watch: PageWatch;
let adminSecret = '';
let consumerSecret = '';
let batchId = '';

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Waits until the locator's text matches, polling the live page (the UI updates by polling). */
async function waitForText(locator: Locator, text: string | RegExp, timeout = 30_000): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ state: 'visible', timeout });
}

/** Every form control must have an accessible name (a label, aria-label or aria-labelledby). */
async function unlabelledControls(): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement>('input, select, textarea')]
      .filter((el) => el.type !== 'hidden')
      .filter(
        (el) =>
          !(el.labels && el.labels.length) &&
          !el.getAttribute('aria-label') &&
          !el.getAttribute('aria-labelledby'),
      )
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

function h1(name: string | RegExp): Locator {
  return page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' ? true : undefined });
}

async function signIn(key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
}

async function api(
  method: string,
  urlPath: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.baseUrl}${urlPath}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('web console in headless Chromium', () => {
  beforeAll(async () => {
    buildWeb();
    await mkdir(SHOTS, { recursive: true });
    dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-e2e-'));
    server = await startServer({ entry: ENTRY, port: await freePort(), dataDir, adminKey: ADMIN_KEY });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // Anything but our own origin would break the "no network beyond the API" rule: such a request
        // fails to resolve and the page watch reports it. (Not page.route: with interception on,
        // Chromium stops fetching and reporting the favicon, and so hid its 404.)
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await recordCanvasText(context);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    watch = watchPage(page, server.baseUrl);
  });

  // No test may leave a console error, an uncaught exception or a failing request it did not declare.
  afterEach(async () => {
    expect(await watch.settle()).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('signs in with the platform key and creates a tenant, showing its admin key once', async () => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${server.baseUrl}/`);
    await h1('Sign in').waitFor();
    await shot('signin');

    watch.expectFailure({ status: 401, method: 'GET', path: '/v1/me' });
    await page.getByLabel('API key').fill('not-a-valid-key-at-all-000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForText(page.getByRole('alert'), 'not accepted');

    await signIn(ADMIN_KEY);
    await h1('Tenants').waitFor();
    expect(await page.evaluate(() => ({ local: localStorage.length, cookie: document.cookie }))).toEqual({
      local: 0,
      cookie: '',
    });
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);

    await page.getByLabel('Tenant name').fill('acme');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const secret = page.getByLabel('Secret', { exact: true });
    await secret.waitFor();
    adminSecret = await secret.inputValue();
    expect(adminSecret.length).toBeGreaterThan(20);
    await page.getByRole('cell', { name: 'acme' }).waitFor();
    expect(await unlabelledControls()).toEqual([]);
    await shot('tenants');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    expect(await secret.count()).toBe(0);
    expect(requests.every((u) => u.startsWith(server.baseUrl))).toBe(true);
    await signOut();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('creates a stream through the UI as the tenant admin', async () => {
    await signIn(adminSecret);
    await h1('Streams').waitFor();
    await page.getByRole('link', { name: 'Create stream' }).click();
    await h1('Create a stream').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('orders');
    await page.getByLabel('Description').fill('Web shop orders');
    const editor = page.getByLabel('Schema (JSON)');
    await editor.fill('{ "type": "object", ');
    await waitForText(page.locator('#schema-local-error'), 'Invalid JSON');
    // Valid JSON the API refuses: its problem errors appear next to the editor.
    const unsupported = { ...SCHEMA, properties: { ...SCHEMA.properties, placed_at: { type: 'date' } } };
    await editor.fill(JSON.stringify(unsupported, null, 2));
    expect(await page.locator('#schema-local-error').count()).toBe(0);
    watch.expectFailure({ status: 400, method: 'POST', path: '/v1/tenants/acme/streams' });
    await page.getByRole('button', { name: 'Create stream' }).click();
    await waitForText(page.locator('#schema-api-errors'), 'placed_at');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    await editor.fill(JSON.stringify(SCHEMA, null, 2));
    await page.getByLabel('Dedupe key').fill('order_id');
    await page.getByLabel(/^PII fields/).fill('email');
    expect(await unlabelledControls()).toEqual([]);
    await shot('stream-create');
    await page.getByRole('button', { name: 'Create stream' }).click();

    await h1('Stream orders').waitFor();
    await waitForText(page.getByTestId('schema-version'), '1');
  });

  it('shows pushed records, counts, the chart and the rejected record live', async () => {
    const push = await api('POST', '/v1/tenants/acme/streams/orders/records', adminSecret, [
      { order_id: 'o1', amount: 10.5, email: 'a@example.com', placed_at: '2024-05-01T10:00:00Z' },
      { order_id: 'o2', amount: 20, email: 'b@example.com' },
      { order_id: 'o3', amount: 7.25 },
      { order_id: 'o4', amount: 'lots' },
    ]);
    expect([200, 422]).toContain(push.status);
    const result = push.json as { batchId: string; accepted: number; rejected: number };
    expect(result).toMatchObject({ accepted: 3, rejected: 1 });
    batchId = result.batchId;

    // No reload: the page polls.
    await waitForText(page.getByTestId('total-accepted'), /^3$/);
    await waitForText(page.getByTestId('total-rejected'), /^1$/);
    await waitForText(page.getByTestId('total-received'), /^4$/);
    await waitForText(page.getByTestId('throughput-chart'), 'accepted 3');
    expect(await page.getByTestId('throughput-chart').locator('canvas').count()).toBeGreaterThan(0);

    // The Lag chart's time axis shows the clock times (HH:MM, browser zone) of the last ten minutes.
    await waitForText(page.getByTestId('lag-chart'), /sampled (at )?\d\d:\d\d/);
    const now = Date.now() / 1000;
    const recent = new Set(Array.from({ length: 12 }, (_, i) => clockLabel(now + 60 - i * 60)));
    const ticks = (await canvasText(page, 'lag-chart')).filter((t) => /^\d\d:\d\d$/.test(t));
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks.filter((t) => !recent.has(t))).toEqual([]);

    const rejections = page.getByTestId('rejections');
    await waitForText(rejections, '/amount');
    expect(await rejections.textContent()).toContain('lots');
    expect(await rejections.textContent()).toContain('Validation');
    await waitForText(page.getByTestId('load-state'), 'Loading');
    await waitForText(page.getByTestId('oldest-unloaded'), /^0/);

    await waitForText(page.getByTestId('preview-total'), /^3 rows in the raw layer/);
    // Keyboard: arrow keys move between the layer tabs.
    await page.getByRole('tab', { name: 'Raw' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Deduped' }).getAttribute('aria-selected')).toBe('true');
    await waitForText(page.getByRole('tabpanel'), 'deduped layer');
    // Only the layers this stream has (a dedupe key, no entity key): the API refuses the others.
    const layers = page.getByRole('tablist', { name: 'Warehouse layer' }).getByRole('tab');
    expect(await layers.allTextContents()).toEqual(['Raw', 'Deduped']);

    await page.getByLabel('Batch id').fill(batchId);
    await page.getByRole('button', { name: 'Look up' }).click();
    await waitForText(page.getByTestId('batch-receipt'), 'Accepted / rejected');
    expect(await page.getByTestId('batch-receipt').textContent()).toContain('3 / 1');

    await page.getByRole('button', { name: '24 h' }).click();
    await waitForText(page.getByTestId('throughput-chart'), 'last 24 hours');
    await waitForText(page.getByTestId('total-accepted'), /^3$/);
    await page.getByRole('button', { name: '1 h' }).click();
    expect(await unlabelledControls()).toEqual([]);
    await shot('stream-detail');

    await page.getByRole('link', { name: 'Streams', exact: true }).first().click();
    const row = page.getByTestId('stream-row-orders');
    await row.waitFor();
    await waitForText(row.getByTestId('health'), /Fresh|Stale|Failing|Idle/);
    expect(await row.locator('canvas').count()).toBeGreaterThan(0);
    await waitForText(row.getByTestId('received-hour'), /^\s*4 in the last hour/);
    await shot('streams');
  });

  it('evolves the schema only after a compatible dry run', async () => {
    await page.getByRole('link', { name: 'orders', exact: true }).click();
    await page.getByRole('link', { name: 'Evolve schema' }).click();
    await h1(/Evolve schema of/).waitFor();
    const save = page.getByRole('button', { name: 'Save' });
    expect(await save.isDisabled()).toBe(true);

    const evolved = { ...SCHEMA, properties: { ...SCHEMA.properties, coupon: { type: 'string' } } };
    await page.getByLabel('Schema (JSON)').fill(JSON.stringify(evolved, null, 2));
    await page.getByRole('button', { name: 'Dry run' }).click();
    await waitForText(page.getByTestId('verdict'), 'Compatible');
    const dry = await page.getByTestId('dry-run').textContent();
    expect(dry).toContain('coupon');
    expect(await page.getByTestId('ddl').textContent()).toContain('coupon');
    expect(await save.isEnabled()).toBe(true);
    await shot('stream-evolve');

    // Any edit invalidates the verdict until the dry run is repeated.
    await page.getByLabel('Schema (JSON)').fill(JSON.stringify(evolved));
    expect(await save.isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Dry run' }).click();
    await waitForText(page.getByTestId('verdict'), 'Compatible');
    await save.click();

    await h1('Stream orders').waitFor();
    await waitForText(page.getByTestId('schema-version'), '2');
    await waitForText(page.getByTestId('version-diff'), 'coupon');
  });

  it('shows an incompatible dry run with its violations and keeps Save disabled', async () => {
    await page.getByRole('link', { name: 'Evolve schema' }).click();
    await h1(/Evolve schema of/).waitFor();
    const broken = { ...SCHEMA, properties: { ...SCHEMA.properties, amount: { type: 'string' } } };
    await page.getByLabel('Schema (JSON)').fill(JSON.stringify(broken, null, 2));
    await page.getByRole('button', { name: 'Dry run' }).click();
    await waitForText(page.getByTestId('verdict'), 'Not compatible');
    await waitForText(page.locator('#schema-api-errors'), 'amount');
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await page.getByRole('link', { name: 'Cancel' }).click();
  });

  it('creates a key whose secret is shown once, and refuses key management to a consumer', async () => {
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await h1('API keys').waitFor();
    await page.getByLabel('Key name').fill('reader');
    await page.getByLabel('Role').selectOption('consumer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByLabel('Secret', { exact: true });
    await secret.waitFor();
    consumerSecret = await secret.inputValue();
    await page.getByRole('button', { name: 'Copy' }).click();
    await waitForText(page.locator('.secret'), 'Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(consumerSecret);
    await page.getByTestId('key-row-reader').waitFor();
    expect(await unlabelledControls()).toEqual([]);
    await shot('keys');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    expect(await secret.count()).toBe(0);
    expect(await page.content()).not.toContain(consumerSecret);

    await signOut();
    await signIn(consumerSecret);
    await h1('Streams').waitFor();
    expect(await page.getByRole('link', { name: 'Keys', exact: true }).count()).toBe(0);
    watch.expectFailure({ status: 403, method: 'GET', path: '/v1/tenants/acme/keys' });
    await page.goto(`${server.baseUrl}/#/keys`);
    await waitForText(page.getByRole('alert'), 'Your key (role consumer) cannot manage keys');
    await shot('keys-forbidden');
    await signOut();
  });

  it('revokes the key after confirmation', async () => {
    await signIn(adminSecret);
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    const row = page.getByTestId('key-row-reader');
    await row.getByRole('button', { name: 'Revoke reader' }).click();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('button', { name: 'Revoke reader' }).click();
    await row.getByRole('button', { name: 'Confirm revoke' }).click();
    await waitForText(row, 'Revoked');
    expect((await api('GET', '/v1/me', consumerSecret)).status).toBe(401);
  });

  it('lists the tenant alerts', async () => {
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await h1('Alerts').waitFor();
    await waitForText(page.locator('main'), /alerts? firing/);
    await shot('alerts');
  });

  it('shows a change stream: its CDC kind and its changes by op', async () => {
    const created = await api('POST', '/v1/tenants/acme/streams', adminSecret, {
      name: 'customers',
      schema: {
        type: 'object',
        properties: { id: { type: 'integer' }, name: { type: 'string' } },
        required: ['id'],
      },
      dedupe: { key: ['id'] },
      cdc: { format: 'debezium', sourcePosition: 'lsn' },
    });
    expect(created.status).toBe(201);
    const source = (lsn: number) => ({
      connector: 'postgresql',
      db: 'shop',
      schema: 'public',
      table: 'customers',
      ts_ms: 1_767_225_600_000 + lsn,
      txId: lsn,
      lsn,
    });
    const push = await api('POST', '/v1/tenants/acme/streams/customers/records', adminSecret, [
      { before: null, after: { id: 1, name: 'Ann' }, source: source(100), op: 'r', ts_ms: 1 },
      { before: null, after: { id: 2, name: 'Bob' }, source: source(200), op: 'c', ts_ms: 2 },
      { before: null, after: { id: 2, name: 'Bobby' }, source: source(300), op: 'u', ts_ms: 3 },
      { before: { id: 1 }, after: null, source: source(400), op: 'd', ts_ms: 4 },
      null,
    ]);
    expect(push.status).toBe(200);
    expect(push.json).toMatchObject({ accepted: 4, tombstones: 1 });

    await page.goto(`${server.baseUrl}/#/streams/customers`);
    await h1(/customers/).waitFor();
    await waitForText(
      page.getByTestId('stream-kind'),
      'Debezium change events, in source order by PostgreSQL LSN',
    );
    for (const [key, n] of [
      ['cdcReads', 1],
      ['cdcCreates', 1],
      ['cdcUpdates', 1],
      ['cdcDeletes', 1],
      ['cdcTombstones', 1],
    ] as const) {
      await waitForText(page.getByTestId(`total-${key}`), new RegExp(`^${n}$`));
    }
    // The entity layer holds Bob as last updated; Ann's delete hides her.
    await page.getByRole('tab', { name: 'Entity' }).click();
    await waitForText(page.getByTestId('preview-total'), /^1 rows in the entity layer/);
    await waitForText(page.getByRole('tabpanel'), 'Bobby');
    await shot('stream-cdc');
  });

  it('reports console errors, uncaught exceptions, failing requests and declared failures not seen', async () => {
    watch.expectFailure({ status: 404, method: 'GET', path: '/v1/no-such-route' });
    watch.expectFailure({ status: 418, path: /^\/never/ });
    await page.evaluate(async () => {
      console.error('boom');
      setTimeout(() => {
        throw new Error('thrown later');
      });
      await fetch('/v1/no-such-route');
      await fetch('/v1/other-missing-route');
      await fetch('http://elsewhere.example/').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    });
    expect((await watch.settle()).sort()).toEqual(
      [
        'console error: boom',
        'uncaught: thrown later',
        'HTTP 404 GET /v1/other-missing-route',
        'console error: Failed to load resource: the server responded with a status of 404 (Not Found) (/v1/other-missing-route)',
        'console error: Failed to load resource: net::ERR_NAME_NOT_RESOLVED (http://elsewhere.example/)',
        'request failed: GET http://elsewhere.example/: net::ERR_NAME_NOT_RESOLVED',
        'expected but not seen: HTTP 418 /^\\/never/',
      ].sort(),
    );
  });
});
