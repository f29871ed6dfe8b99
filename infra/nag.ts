import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
// cdk-nag is CommonJS whose exports Node's ESM loader cannot detect statically, so named imports
// fail at runtime; take them from the default export instead.
import cdkNag from 'cdk-nag';
import type { IConstruct } from 'constructs';

export const { AwsSolutionsChecks } = cdkNag;

/**
 * Acknowledges one cdk-nag finding on a construct and its children (cdk-nag v3 replaced
 * NagSuppressions with CDK's own Validations.acknowledge). The reason is the audit trail.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The id cdk-nag gives an IAM5 wildcard-resource finding on `<resource ARN><suffix>`,
 * e.g. `AwsSolutions-IAM5[Resource::<LakeBucket1234.Arn>/raw/*]`.
 */
export function wildcardResourceFinding(arnOf: CfnElement, suffix: string): string {
  return `AwsSolutions-IAM5[Resource::<${Stack.of(arnOf).getLogicalId(arnOf)}.Arn>${suffix}]`;
}
