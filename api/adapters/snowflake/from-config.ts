/**
 * The Snowflake adapters built from the environment's settings (AWS mode): the warehouse with its shared
 * account and tenants' own accounts, the secret reader for tenants' keys, and the binding check.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { InvalidInputError } from '../../domain/errors.js';
import type { WarehouseBinding } from '../../domain/tenants/warehouse-binding.js';
import type { SecretReader } from '../../ports.js';
import { SecretsManagerReader, createSecretsManagerClient } from '../secrets/secrets-manager.js';
import { connectSnowflake, resolvePrivateKey } from './connection.js';
import { ident } from './identifiers.js';
import type { SnowflakeSqlConfig } from './names.js';
import { SnowflakeBindingProbe, bindingTarget } from './tenant-accounts.js';
import { SnowflakeWarehouse } from './warehouse.js';

export interface SnowflakeFromConfigOptions {
  logger: Logger;
  /** The tenant's own account, when it has one (the catalog's warehouse binding). */
  bindingOf?: (tenant: string) => Promise<WarehouseBinding | undefined>;
  /** Reads a bound tenant's key by the ARN its binding names. */
  secrets?: SecretReader;
  /** Role templates (`{tenant}` is replaced); defaults `{tenant}_reader` and `{tenant}_pii`. */
  readerRole?: string;
  piiRole?: string;
  targetLag?: string;
  now?: () => Date;
}

/** Builds the adapter from the environment's settings; the key is resolved once, lazily, and never logged. */
export function snowflakeWarehouseFromConfig(
  config: Config,
  opts: SnowflakeFromConfigOptions,
): SnowflakeWarehouse {
  const missing: string[] = (
    [
      'SNOWFLAKE_ACCOUNT',
      'SNOWFLAKE_USER',
      'SNOWFLAKE_WAREHOUSE',
      'SNOWFLAKE_DATABASE',
      'TRIBUTARY_S3_BUCKET',
      'TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION',
    ] as const
  ).filter((k) => !config[k]);
  if (!config.SNOWFLAKE_PRIVATE_KEY && !config.SNOWFLAKE_PRIVATE_KEY_SECRET_ARN)
    missing.push('SNOWFLAKE_PRIVATE_KEY');
  if (missing.length) {
    throw new InvalidInputError(
      'Snowflake is not configured',
      missing.map((k) => ({ path: k, message: 'required when TRIBUTARY_MODE=aws' })),
    );
  }
  let key: Promise<string> | undefined;
  const privateKey = () => {
    key ??= resolvePrivateKey({
      privateKey: config.SNOWFLAKE_PRIVATE_KEY,
      secretArn: config.SNOWFLAKE_PRIVATE_KEY_SECRET_ARN,
      region: config.AWS_REGION,
    }).catch((err: unknown) => {
      key = undefined;
      throw err;
    });
    return key;
  };
  const shared: SnowflakeSqlConfig = {
    database: config.SNOWFLAKE_DATABASE!,
    warehouse: config.SNOWFLAKE_WAREHOUSE!,
    bucket: config.TRIBUTARY_S3_BUCKET!,
    storageIntegration: config.TRIBUTARY_SNOWFLAKE_STORAGE_INTEGRATION!,
    readerRole: opts.readerRole ?? '{tenant}_reader',
    piiRole: opts.piiRole ?? '{tenant}_pii',
    ...(opts.targetLag ? { targetLag: opts.targetLag } : {}),
    ...(config.TRIBUTARY_LAKE_EVENTS_TOPIC_ARN
      ? { lakeEventsTopicArn: config.TRIBUTARY_LAKE_EVENTS_TOPIC_ARN }
      : {}),
  };
  const { bindingOf } = opts;
  const secrets = opts.secrets ?? secretReaderFromConfig(config);
  return new SnowflakeWarehouse({
    logger: opts.logger,
    now: opts.now,
    config: shared,
    ...(bindingOf
      ? {
          targetOf: async (tenant: string) => {
            const binding = await bindingOf(tenant);
            return binding
              ? bindingTarget(binding, shared, {
                  secrets,
                  tenantAccessUrl: config.SNOWFLAKE_TENANT_ACCESS_URL,
                })
              : undefined;
          },
        }
      : {}),
    connect: async (tenant) => {
      ident(tenant);
      return connectSnowflake({
        account: config.SNOWFLAKE_ACCOUNT!,
        username: config.SNOWFLAKE_USER!,
        privateKey: await privateKey(),
        role: config.SNOWFLAKE_ROLE,
        warehouse: config.SNOWFLAKE_WAREHOUSE,
        database: config.SNOWFLAKE_DATABASE,
        accessUrl: config.SNOWFLAKE_ACCESS_URL,
        statementTimeoutSeconds: 300,
      });
    },
  });
}

/** Reads tenants' keys by the ARN their bindings name (TRIBUTARY_SECRETS_MANAGER_ENDPOINT in tests). */
export function secretReaderFromConfig(config: Config): SecretsManagerReader {
  return new SecretsManagerReader(
    createSecretsManagerClient({
      region: config.AWS_REGION,
      endpoint: config.TRIBUTARY_SECRETS_MANAGER_ENDPOINT,
    }),
  );
}

/** The check PUT /v1/tenants/{t}/warehouse runs before saving a binding. */
export function snowflakeBindingProbeFromConfig(config: Config): SnowflakeBindingProbe {
  return new SnowflakeBindingProbe({
    secrets: secretReaderFromConfig(config),
    tenantAccessUrl: config.SNOWFLAKE_TENANT_ACCESS_URL,
  });
}
