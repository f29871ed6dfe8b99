import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from './nag.js';
import { DEFAULT_LAMBDA_OUTDIR } from './bundle.js';
import { TributaryStack } from './stack.js';
import type { SnowflakeSettings } from './stack.js';
import type { TenantAccountSettings } from './constructs/tenant-accounts.js';
import { IDENTIFIER_PATTERN } from '../api/domain/identifiers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEFAULT_STACK_NAME = 'Tributary';
export const DEFAULT_REGION = 'us-east-1';

export interface BuildAppOptions {
  /** Pre-built Lambda bundle; call ensureLambdaBundle first. Defaults to dist/lambda. */
  lambdaBundleDir?: string;
  /** Cloud assembly directory. Defaults to cdk.out. */
  outdir?: string;
  stackName?: string;
  /**
   * Run CDK's built-in CloudFormation template validation (cfn-lint rules) on synth. Thorough but
   * slow (~30 s here); tests turn it off. `CDK_VALIDATION=false` disables it too.
   */
  cloudFormationValidation?: boolean;
  /**
   * Where settings come from (region, account, SNOWFLAKE_* including SNOWFLAKE_TENANT_ACCESS_URL, glacier
   * days, TRIBUTARY_TENANT_ACCOUNTS);
   * defaults to process.env.
   */
  env?: Record<string, string | undefined>;
}

export interface BuiltApp {
  app: App;
  stack: TributaryStack;
}

/**
 * Builds the app the way `cdk init` would configure it (recommended feature flags) and applies the
 * AWS Solutions cdk-nag pack to everything in it.
 */
export function buildApp(options: BuildAppOptions = {}): BuiltApp {
  const env = options.env ?? process.env;
  const app = new App({
    outdir: options.outdir ?? path.join(repoRoot, 'cdk.out'),
    context: { ...CURRENTLY_RECOMMENDED_FLAGS },
    builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
  });
  // The ALB access-log bucket policy names the region's ELB log-delivery account, so the region
  // must be concrete; the account may stay deploy-time.
  const region = env.CDK_DEFAULT_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
  const account = env.CDK_DEFAULT_ACCOUNT;
  const glacierDays = env.TRIBUTARY_GLACIER_TRANSITION_DAYS
    ? Number(env.TRIBUTARY_GLACIER_TRANSITION_DAYS)
    : undefined;
  if (glacierDays !== undefined && !(Number.isInteger(glacierDays) && glacierDays > 0)) {
    throw new Error(
      `TRIBUTARY_GLACIER_TRANSITION_DAYS must be a positive integer, got ${env.TRIBUTARY_GLACIER_TRANSITION_DAYS}`,
    );
  }
  const snowflake: SnowflakeSettings = {
    account: env.SNOWFLAKE_ACCOUNT,
    user: env.SNOWFLAKE_USER,
    role: env.SNOWFLAKE_ROLE,
    warehouse: env.SNOWFLAKE_WAREHOUSE,
    database: env.SNOWFLAKE_DATABASE,
    accessUrl: env.SNOWFLAKE_ACCESS_URL,
    tenantAccessUrl: env.SNOWFLAKE_TENANT_ACCESS_URL,
    storageIntegration: env.TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION,
  };
  const stack = new TributaryStack(app, options.stackName ?? DEFAULT_STACK_NAME, {
    env: { region, ...(account ? { account } : {}) },
    description:
      'Tributary: self-service data ingestion (ALB + Lambda, Firehose → S3 → Snowpipe → Snowflake, DynamoDB catalog)',
    lambdaBundleDir: options.lambdaBundleDir ?? DEFAULT_LAMBDA_OUTDIR,
    glacierTransitionDays: glacierDays,
    snowflake,
    ...(env.TRIBUTARY_TENANT_ACCOUNTS !== undefined
      ? { tenantAccounts: parseTenantAccounts(env.TRIBUTARY_TENANT_ACCOUNTS) }
      : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

const IAM_USER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:user\/.+$/;

/**
 * TRIBUTARY_TENANT_ACCOUNTS: JSON mapping each tenant bound to its own Snowflake account to its storage
 * integration's identity, e.g. {"acme": {"externalId": "ACME_SFCRole=2_x", "snowflakeIamUserArn":
 * "arn:aws:iam::123456789012:user/abc"}}. `{}` switches the lake to its SNS topic before any tenant is bound.
 */
export function parseTenantAccounts(text: string): Record<string, TenantAccountSettings> {
  const fail = (why: string): never => {
    throw new Error(`TRIBUTARY_TENANT_ACCOUNTS: ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('must be JSON, e.g. {"acme": {"externalId": "..."}}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    fail('must be a JSON object of tenants');
  const out: Record<string, TenantAccountSettings> = {};
  for (const [tenant, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!IDENTIFIER_PATTERN.test(tenant))
      fail(`tenant ${JSON.stringify(tenant)} must match ${IDENTIFIER_PATTERN.source}`);
    const v = (value ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(v).filter((k) => k !== 'externalId' && k !== 'snowflakeIamUserArn');
    if (unknown.length) fail(`${tenant}: unknown field ${unknown.join(', ')}`);
    if (typeof v.externalId !== 'string' || !/^[\w+=,.@:/-]{2,1224}$/.test(v.externalId))
      fail(`${tenant}.externalId must be the integration's STORAGE_AWS_EXTERNAL_ID`);
    if (
      v.snowflakeIamUserArn !== undefined &&
      (typeof v.snowflakeIamUserArn !== 'string' || !IAM_USER_ARN.test(v.snowflakeIamUserArn))
    )
      fail(`${tenant}.snowflakeIamUserArn must be the integration's STORAGE_AWS_IAM_USER_ARN`);
    out[tenant] = {
      externalId: v.externalId as string,
      ...(typeof v.snowflakeIamUserArn === 'string' ? { snowflakeIamUserArn: v.snowflakeIamUserArn } : {}),
    };
  }
  return out;
}
