import path from 'node:path';
import { SynthesisMessageLevel } from 'aws-cdk-lib/cx-api';
import { ensureLambdaBundle } from './bundle.js';
import { buildApp } from './app.js';

/**
 * Synthesizes the cloud assembly into cdk.out without the CDK CLI or Docker. cdk-nag runs as a CDK
 * validation plugin: any unacknowledged AwsSolutions finding (error or warning) makes synth throw,
 * and this script exits 1. Set CDK_VALIDATION=false to skip the slower cfn-lint template checks.
 */
async function main(): Promise<void> {
  const bundleDir = process.env.TRIBUTARY_LAMBDA_BUNDLE_DIR
    ? path.resolve(process.env.TRIBUTARY_LAMBDA_BUNDLE_DIR)
    : undefined;
  const lambdaBundleDir = await ensureLambdaBundle({ outdir: bundleDir });
  const { app, stack } = buildApp({ lambdaBundleDir });
  let assembly;
  try {
    assembly = app.synth();
  } catch (err) {
    // CDK has already printed the validation report (cdk-nag findings) to stderr.
    console.error(err instanceof Error ? err.message : err);
    console.error('synth failed: fix or acknowledge (with a reason) every finding above');
    process.exitCode = 1;
    return;
  }
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const resources = Object.keys((artifact.template as { Resources?: object }).Resources ?? {}).length;
  const errors = artifact.messages.filter((m) => m.level === SynthesisMessageLevel.ERROR);
  for (const m of errors) {
    // An error annotation's data is its message; any other shape is printed as JSON.
    const data = typeof m.entry.data === 'string' ? m.entry.data : JSON.stringify(m.entry.data);
    console.error(`[error] ${m.id}: ${data}`);
  }
  console.log(
    `synthesized ${stack.stackName}: ${resources} resources → ${path.relative(process.cwd(), artifact.templateFullPath)}`,
  );
  console.log('cdk-nag AwsSolutions: no unacknowledged findings');
  if (errors.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
