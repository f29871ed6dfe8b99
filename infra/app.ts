import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from './nag.js';
import { DEFAULT_LAMBDA_OUTDIR } from './bundle.js';
import { TributaryStack } from './stack.js';
import type { SnowflakeSettings } from './stack.js';

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
  /** Where settings come from (region, account, SNOWFLAKE_*, glacier days); defaults to process.env. */
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
    storageIntegration: env.TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION,
  };
  const stack = new TributaryStack(app, options.stackName ?? DEFAULT_STACK_NAME, {
    env: { region, ...(account ? { account } : {}) },
    description:
      'Tributary: self-service data ingestion (ALB + Lambda, Firehose → S3 → Snowpipe → Snowflake, DynamoDB catalog)',
    lambdaBundleDir: options.lambdaBundleDir ?? DEFAULT_LAMBDA_OUTDIR,
    glacierTransitionDays: glacierDays,
    snowflake,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
