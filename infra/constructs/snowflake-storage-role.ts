import type { CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge, wildcardResourceFinding } from '../nag.js';
import { Construct } from 'constructs';

export interface SnowflakeStorageRoleProps {
  bucket: s3.IBucket;
  key: kms.IKey;
  /** Prefixes the external stage reads. */
  prefixes: readonly string[];
  /** STORAGE_AWS_IAM_USER_ARN from DESC INTEGRATION. */
  snowflakePrincipalArn: string;
  /** STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION. */
  externalId: string;
  description?: string;
}

/** The role a Snowflake storage integration assumes to read the lake (stage + Snowpipe). Read-only. */
export class SnowflakeStorageRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SnowflakeStorageRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      description:
        props.description ?? 'Assumed by the Snowflake storage integration to read the Tributary lake',
      assumedBy: new iam.ArnPrincipal(props.snowflakePrincipalArn).withConditions({
        StringEquals: { 'sts:ExternalId': props.externalId },
      }),
    });
    const policy = new iam.Policy(this, 'Policy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadLakeObjects',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: props.prefixes.map((p) => props.bucket.arnForObjects(`${p}/*`)),
        }),
        new iam.PolicyStatement({
          sid: 'ListLakePrefixes',
          actions: ['s3:ListBucket'],
          resources: [props.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': props.prefixes.flatMap((p) => [`${p}/`, `${p}/*`]) } },
        }),
        new iam.PolicyStatement({
          sid: 'LocateBucket',
          actions: ['s3:GetBucketLocation'],
          resources: [props.bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'DecryptLakeObjects',
          actions: ['kms:Decrypt'],
          resources: [props.key.keyArn],
        }),
      ],
    });
    for (const prefix of props.prefixes) {
      acknowledge(
        policy,
        wildcardResourceFinding(props.bucket.node.defaultChild as CfnElement, `/${prefix}/*`),
        'Snowpipe reads whatever object Firehose wrote under the loaded prefixes; reads are limited to those prefixes of the lake bucket.',
      );
    }
  }
}
