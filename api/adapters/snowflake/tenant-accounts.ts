/**
 * A tenant bound to its own Snowflake account: where its objects go (its database, warehouse and storage
 * integration, the shared names for everything else), how a session there is opened (its user and role,
 * with the key read from Secrets Manager by the binding's ARN at each login, so a rotated key is picked up
 * by the next session), and the check a binding passes before it is saved.
 */
import { DependencyUnavailableError, SecretUnusableError, WarehouseCheckError } from '../../domain/errors.js';
import type { WarehouseBinding, WarehouseConnectionSpec } from '../../domain/tenants/warehouse-binding.js';
import type { SecretReader, WarehouseBindingProbe } from '../../ports.js';
import { connectSnowflake, privateKeyFromSecret } from './connection.js';
import type { SnowflakeConnectOptions, SnowflakeConnectionLike } from './connection.js';
import type { SnowflakeSqlConfig } from './names.js';

/** Where one tenant's objects live and how to open a session there. */
export interface TenantTarget {
  /** Changes whenever the connection settings do, so a session opened with older ones is replaced. */
  version: string;
  config: SnowflakeSqlConfig;
  connect: () => Promise<SnowflakeConnectionLike>;
}

export interface TenantAccountOptions {
  secrets: SecretReader;
  /**
   * Access URL of tenant accounts, `{account}` replaced by the binding's account (SNOWFLAKE_TENANT_ACCESS_URL,
   * e.g. https://{account}.privatelink.snowflakecomputing.com); the driver's public URL when absent.
   */
  tenantAccessUrl?: string;
  /** Opens sessions; the real driver unless a test passes another. */
  connect?: (opts: SnowflakeConnectOptions) => Promise<SnowflakeConnectionLike>;
}

/** The shared account's names with the tenant's database, warehouse and storage integration. */
export function bindingConfig(b: WarehouseConnectionSpec, shared: SnowflakeSqlConfig): SnowflakeSqlConfig {
  return {
    ...shared,
    database: b.database,
    warehouse: b.warehouse,
    storageIntegration: b.storageIntegration,
  };
}

export function bindingTarget(
  binding: WarehouseBinding,
  shared: SnowflakeSqlConfig,
  opts: TenantAccountOptions,
): TenantTarget {
  const { account, user, role, warehouse, database, privateKeySecretArn, storageIntegration, boundAt } =
    binding;
  return {
    version: JSON.stringify([
      account,
      user,
      role,
      warehouse,
      database,
      privateKeySecretArn,
      storageIntegration,
      boundAt,
    ]),
    config: bindingConfig(binding, shared),
    connect: async () => {
      let privateKey: string;
      try {
        privateKey = privateKeyFromSecret(await opts.secrets.read(privateKeySecretArn));
      } catch (err) {
        if (!(err instanceof SecretUnusableError)) throw err;
        // The binding's secret broke after it was checked: only the platform admin can repair it.
        throw new DependencyUnavailableError(
          `The Snowflake key of tenant '${binding.tenant}' cannot be read; its warehouse binding needs repair.`,
          30,
          { cause: err },
        );
      }
      return (opts.connect ?? connectSnowflake)(sessionOptions(binding, privateKey, opts));
    },
  };
}

function sessionOptions(
  spec: WarehouseConnectionSpec,
  privateKey: string,
  opts: TenantAccountOptions,
): SnowflakeConnectOptions {
  const accessUrl = opts.tenantAccessUrl?.replace(/\{account\}/g, spec.account);
  return {
    account: spec.account,
    username: spec.user,
    privateKey,
    role: spec.role,
    warehouse: spec.warehouse,
    database: spec.database,
    ...(accessUrl ? { accessUrl } : {}),
    statementTimeoutSeconds: 300,
  };
}

/** One statement, so a check costs one round trip; the stub and Snowflake answer it from the session. */
export const PROBE_SQL =
  'SELECT CURRENT_ACCOUNT() AS "ACCOUNT", CURRENT_ROLE() AS "ROLE", CURRENT_DATABASE() AS "DATABASE", CURRENT_WAREHOUSE() AS "WAREHOUSE"';

/**
 * The driver retries a login it cannot complete for minutes (an account that does not exist never
 * answers); a check gives up well inside the Lambda's 30 s and the load balancer's 60 s.
 */
const CHECK_LOGIN_TIMEOUT_MS = 15_000;

export class SnowflakeBindingProbe implements WarehouseBindingProbe {
  constructor(private readonly opts: TenantAccountOptions & { loginTimeoutMs?: number }) {}

  async check(spec: WarehouseConnectionSpec): Promise<{ currentAccount: string }> {
    let privateKey: string;
    try {
      privateKey = privateKeyFromSecret(await this.opts.secrets.read(spec.privateKeySecretArn));
    } catch (err) {
      if (err instanceof SecretUnusableError)
        throw new WarehouseCheckError('secret', err.message, { cause: err });
      throw err;
    }
    const conn = await this.login(spec, privateKey);
    try {
      let rows: Array<Record<string, unknown>>;
      try {
        rows = await conn.execute(PROBE_SQL);
      } catch (err) {
        throw new WarehouseCheckError('query', `SELECT CURRENT_ACCOUNT() failed: ${reason(err)}`, {
          cause: err,
        });
      }
      return { currentAccount: sessionAccount(spec, rows[0] ?? {}) };
    } finally {
      await conn.close();
    }
  }

  private async login(spec: WarehouseConnectionSpec, privateKey: string): Promise<SnowflakeConnectionLike> {
    const opening = (this.opts.connect ?? connectSnowflake)(sessionOptions(spec, privateKey, this.opts));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${Math.round(this.timeoutMs / 1000)} s`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([opening, timeout]);
    } catch (err) {
      // A login that completes after we gave up is closed, not leaked.
      opening.then((c) => c.close()).catch(() => undefined);
      throw new WarehouseCheckError(
        'connect',
        `Could not log in to Snowflake account '${spec.account}' as '${spec.user}' with role '${spec.role}': ${reason(err)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private get timeoutMs(): number {
    return this.opts.loginTimeoutMs ?? CHECK_LOGIN_TIMEOUT_MS;
  }
}

/** The account a session reports; a session without the database or warehouse it was told to use cannot run DDL. */
function sessionAccount(spec: WarehouseConnectionSpec, row: Record<string, unknown>): string {
  const missing = (field: string, what: string) =>
    new WarehouseCheckError(
      'query',
      `The session has no current ${field}: ${what} does not exist or role '${spec.role}' may not use it.`,
    );
  const account = row.ACCOUNT;
  if (typeof account !== 'string' || !account)
    throw new WarehouseCheckError('query', 'SELECT CURRENT_ACCOUNT() answered no account.');
  if (!row.DATABASE) throw missing('database', `database '${spec.database}'`);
  if (!row.WAREHOUSE) throw missing('warehouse', `warehouse '${spec.warehouse}'`);
  return account;
}

/** The driver's own words (connectSnowflake wraps them in a cause); no key material is ever in them. */
function reason(err: unknown): string {
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return inner instanceof Error ? inner.message : String(inner);
}
