import { readFile } from 'node:fs/promises';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../api/config.js';
import { buildApp } from '../../infra/app.js';
import { fixtureWorkspace, type FixtureWorkspace } from '../infra/fixtures/bundle-fixture.js';

/** The deploy guide is the operator's reference: every knob the stack or the code reads must be in it. */
let workspace: FixtureWorkspace;
let template: Template;
/** The same app with tenant accounts: the lake's topic, a storage role per tenant, no queue parameter. */
let withTenants: Template;
let guide: string;

beforeAll(async () => {
  workspace = await fixtureWorkspace();
  const { stack } = buildApp({
    lambdaBundleDir: workspace.bundleDir,
    outdir: workspace.cdkOut,
    cloudFormationValidation: false,
    env: { AWS_REGION: 'us-east-1' },
  });
  template = Template.fromStack(stack);
  withTenants = Template.fromStack(
    buildApp({
      lambdaBundleDir: workspace.bundleDir,
      outdir: `${workspace.cdkOut}-tenants`,
      cloudFormationValidation: false,
      env: {
        AWS_REGION: 'us-east-1',
        SNOWFLAKE_TENANT_ACCESS_URL: 'https://{account}.privatelink.snowflakecomputing.com',
        TRIBUTARY_TENANT_ACCOUNTS: JSON.stringify({ globex: { externalId: 'pending' } }),
      },
    }).stack,
  );
  guide = await readFile(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
}, 120_000);

afterAll(async () => {
  await workspace?.cleanup();
});

const documented = (name: string) => guide.includes(`\`${name}\``);

describe('docs/deploy.md', () => {
  it.each([
    ['the shared account only', () => template],
    ['tenant accounts', () => withTenants],
  ])('documents every parameter of the stack (%s)', (_mode, built) => {
    const parameters = Object.keys((built().toJSON() as { Parameters: object }).Parameters).filter(
      // CDK's own: the asset bootstrap version, never set by an operator.
      (p) => p !== 'BootstrapVersion',
    );
    expect(parameters.length).toBeGreaterThan(5);
    expect(parameters.filter((p) => !documented(p))).toEqual([]);
  });

  it('documents every environment variable the code parses', () => {
    const variables = Object.keys(ConfigSchema.shape);
    expect(variables).toContain('TRIBUTARY_MODE');
    expect(variables.filter((v) => !documented(v))).toEqual([]);
  });

  it.each([
    ['the shared account only', () => template],
    ['tenant accounts', () => withTenants],
  ])('documents every environment variable the stack sets on the functions (%s)', (_mode, built) => {
    const functions = Object.values(built().findResources('AWS::Lambda::Function')) as {
      Properties: { Environment?: { Variables?: Record<string, unknown> } };
    }[];
    const variables = new Set(
      functions.flatMap((f) => Object.keys(f.Properties.Environment?.Variables ?? {})),
    );
    // NODE_OPTIONS is Node's own, and the guide needs no entry for it.
    variables.delete('NODE_OPTIONS');
    expect(variables.size).toBeGreaterThan(3);
    expect([...variables].filter((v) => !documented(v))).toEqual([]);
  });

  it('takes the operator through binding a tenant to its own account, and says where the rest is', async () => {
    expect(documented('TRIBUTARY_TENANT_ACCOUNTS')).toBe(true);
    expect(guide).toMatch(/^## \d+\. A tenant in its own Snowflake account$/m);
    const links = [...guide.matchAll(/\]\((tenant-accounts\.md)(#[\w-]+)?\)/g)];
    expect(links.length).toBeGreaterThan(0);
    const target = await readFile(new URL('../../docs/tenant-accounts.md', import.meta.url), 'utf8');
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\w\s-]/g, '')
        .trim()
        .replace(/\s/g, '-');
    const anchors = new Set([...target.matchAll(/^#+ (.+)$/gm)].map((m) => `#${slug(m[1])}`));
    for (const [, , anchor] of links) if (anchor) expect(anchors).toContain(anchor);
  });

  it('points at the Snowflake setup script that exists', async () => {
    expect(guide).toContain('infra/snowflake/setup.sql');
    const sql = await readFile(new URL('../../infra/snowflake/setup.sql', import.meta.url), 'utf8');
    for (const statement of [
      'CREATE STORAGE INTEGRATION',
      'DESC INTEGRATION',
      'RSA_PUBLIC_KEY',
      'WITH GRANT OPTION',
    ])
      expect(sql).toContain(statement);
  });
});
