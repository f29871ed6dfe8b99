/**
 * A tenant's own warehouse account. Tenants without one live in the shared default account; a bound
 * tenant's schema, tables, pipes, dynamic tables and masking policies are created in its own account
 * instead. The private key stays in Secrets Manager: the binding holds its ARN only.
 */

/** What the platform admin gives: where the account is, who Tributary is there, and where the key lives. */
export interface WarehouseConnectionSpec {
  /** Snowflake account identifier: `orgname-accountname`, or a locator such as `xy12345.us-east-1`. */
  account: string;
  user: string;
  role: string;
  warehouse: string;
  database: string;
  /** Secrets Manager secret holding the user's key-pair private key (a PEM, or JSON with `privateKey`). */
  privateKeySecretArn: string;
  /** The account's storage integration, trusted by the lake bucket, that the tenant's stage uses. */
  storageIntegration: string;
}

export interface WarehouseBinding extends WarehouseConnectionSpec {
  tenant: string;
  /** What `SELECT CURRENT_ACCOUNT()` answered when the binding was checked (the account locator). */
  currentAccount: string;
  boundAt: string;
}

/** The shared account tenants without a binding use, as far as it is shown to them. */
export interface DefaultWarehouseAccount {
  account?: string;
  user?: string;
  role?: string;
  warehouse?: string;
  database?: string;
  storageIntegration?: string;
}

/** Where a binding check failed: reading the key, logging in with it, or the first query. */
export type WarehouseCheckStep = 'secret' | 'connect' | 'query';

/**
 * Secrets a binding may name live under this prefix: the stack grants GetSecretValue on
 * `secret:tributary/tenants/*` and nothing else, so a key stored elsewhere could never be read.
 */
export const TENANT_SECRET_PREFIX = 'tributary/tenants/';

/** Organization-account names (letters, digits, `_`, `-`) or legacy locators with region and cloud parts. */
export const SNOWFLAKE_ACCOUNT_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,99}(\.[A-Za-z0-9-]{1,40}){0,3}$/;
/** Login names: used in the key-pair JWT, never in SQL. */
export const SNOWFLAKE_USER_PATTERN = /^[A-Za-z][A-Za-z0-9_.@-]{0,254}$/;
/** Roles, warehouses, databases and integrations: unquoted Snowflake identifiers (the SQL quotes them). */
export const SNOWFLAKE_OBJECT_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,254}$/;
/** A Secrets Manager secret ARN under TENANT_SECRET_PREFIX (name characters as AWS allows them). */
export const TENANT_KEY_SECRET_ARN_PATTERN =
  /^arn:aws(-[a-z]+)*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:tributary\/tenants\/[A-Za-z0-9/_+=.@-]{1,400}$/;

/** The fields that say where a tenant's objects are: changing one would strand the streams already there. */
export const PLACEMENT_FIELDS = ['account', 'database', 'storageIntegration'] as const;
