import { DEFAULT_LAMBDA_OUTDIR, bundleLambda } from './bundle.js';
import { buildApp } from './app.js';

/**
 * The entry the CDK CLI runs (cdk.json, so `npx cdk deploy` works from the repository root). It always
 * rebuilds the Lambda bundle: reusing dist/lambda here could deploy the code of an older checkout.
 */
await bundleLambda({ outdir: DEFAULT_LAMBDA_OUTDIR });
const { app } = buildApp({ lambdaBundleDir: DEFAULT_LAMBDA_OUTDIR, outdir: process.env.CDK_OUTDIR });
app.synth();
