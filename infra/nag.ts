// cdk-nag is CommonJS whose exports Node's ESM loader cannot detect statically, so named imports
// fail at runtime; take them from the default export instead.
import cdkNag from 'cdk-nag';

export const { AwsSolutionsChecks, NagSuppressions } = cdkNag;
