import { Aws, CfnOutput } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LAKE_PREFIXES } from './lake-bucket.js';
import { SnowflakeStorageRole } from './snowflake-storage-role.js';

/** What the stack needs of a tenant's own Snowflake account: its storage integration's identity. */
export interface TenantAccountSettings {
  /** STORAGE_AWS_EXTERNAL_ID of the tenant account's storage integration (DESC INTEGRATION). */
  externalId: string;
  /**
   * STORAGE_AWS_IAM_USER_ARN of that integration. Absent on the first deploy (the integration needs the
   * role's ARN first); the role then trusts only this account until it is set.
   */
  snowflakeIamUserArn?: string;
}

export interface TenantAccountsProps {
  bucket: s3.IBucket;
  key: kms.IKey;
  tenants: Record<string, TenantAccountSettings>;
}

/**
 * One read-only storage role per tenant account, trusted by that account's integration and reading only
 * the tenant's own prefixes: a tenant's account can list and load its own objects and nobody else's.
 */
export class TenantAccounts extends Construct {
  readonly roles: Record<string, SnowflakeStorageRole> = {};
  /** Each tenant account's Snowflake principal as far as it is known (for the topic's subscribe grant). */
  readonly principals: string[] = [];

  constructor(scope: Construct, id: string, props: TenantAccountsProps) {
    super(scope, id);
    for (const [tenant, settings] of Object.entries(props.tenants)) {
      const tenantScope = new Construct(this, tenant);
      const role = new SnowflakeStorageRole(tenantScope, 'Storage', {
        bucket: props.bucket,
        key: props.key,
        prefixes: LAKE_PREFIXES.map((p) => `${p}/tenant=${tenant}`),
        snowflakePrincipalArn:
          settings.snowflakeIamUserArn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`,
        externalId: settings.externalId,
        description: `Assumed by tenant ${tenant}'s Snowflake storage integration to read its part of the Tributary lake`,
      });
      this.roles[tenant] = role;
      if (settings.snowflakeIamUserArn) this.principals.push(settings.snowflakeIamUserArn);
      new CfnOutput(tenantScope, 'StorageRoleArn', {
        value: role.role.roleArn,
        description: `STORAGE_AWS_ROLE_ARN for tenant ${tenant}'s CREATE STORAGE INTEGRATION`,
      });
    }
  }
}
