import { ensureLambdaBundle } from './bundle.js';
import { buildApp } from './app.js';

interface NagFinding {
  level: string;
  path: string;
  message: string;
}

/** Synthesizes the cloud assembly into cdk.out without the CDK CLI; exits 1 on cdk-nag errors. */
async function main(): Promise<void> {
  const lambdaBundleDir = await ensureLambdaBundle();
  const { app, stack } = buildApp({ lambdaBundleDir });
  const assembly = app.synth();
  const artifact = assembly.getStackArtifact(stack.artifactId);

  const findings: NagFinding[] = artifact.messages
    .filter((m) => m.level === 'error' || m.level === 'warning')
    .map((m) => ({ level: m.level, path: m.id, message: String(m.entry.data) }));
  for (const f of findings) console.error(`[${f.level}] ${f.path}\n  ${f.message.split('\n')[0]}`);

  const errors = findings.filter((f) => f.level === 'error');
  const warnings = findings.filter((f) => f.level === 'warning');
  console.log(`synthesized ${artifact.templateFile} into ${assembly.directory} (${errors.length} errors, ${warnings.length} warnings)`);
  if (errors.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
