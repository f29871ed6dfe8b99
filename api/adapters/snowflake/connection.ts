/**
 * The snowflake-sdk seam: a connection reduced to "run one statement, get rows", with key-pair (JWT)
 * authentication. The private key comes from the environment or from Secrets Manager; it is handed to
 * the driver and never logged.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import snowflake from 'snowflake-sdk';
import type { Connection, ConnectionOptions } from 'snowflake-sdk';
import { DependencyUnavailableError, SecretUnusableError } from '../../domain/errors.js';
import { toDomainError } from './errors.js';

export type Row = Record<string, unknown>;

/** What the warehouse needs of a connection; the real one wraps snowflake-sdk, tests may pass the same. */
export interface SnowflakeConnectionLike {
  execute(sqlText: string): Promise<Row[]>;
  close(): Promise<void>;
}

export interface SnowflakeConnectOptions {
  account: string;
  username: string;
  privateKey: string;
  role?: string;
  warehouse?: string;
  database?: string;
  /** Overrides https://<account>.snowflakecomputing.com (a PrivateLink host, or a local stub in tests). */
  accessUrl?: string;
  /** Statement timeout in seconds, sent as a session parameter. */
  statementTimeoutSeconds?: number;
}

/** The driver would log on its own; ours goes through pino. Idempotent, so it is set on every connect. */
function configureDriver(): void {
  snowflake.configure({ logLevel: 'OFF' });
}

/** Opens one authenticated session. Failures become DependencyUnavailableError (with the driver error as cause). */
export async function connectSnowflake(opts: SnowflakeConnectOptions): Promise<SnowflakeConnectionLike> {
  configureDriver();
  const options: ConnectionOptions = {
    account: opts.account,
    username: opts.username,
    authenticator: 'SNOWFLAKE_JWT',
    privateKey: opts.privateKey,
    ...(opts.role ? { role: opts.role } : {}),
    ...(opts.warehouse ? { warehouse: opts.warehouse } : {}),
    ...(opts.database ? { database: opts.database } : {}),
    ...(opts.accessUrl ? { accessUrl: opts.accessUrl } : {}),
    application: 'tributary',
  };
  const conn = snowflake.createConnection(options);
  try {
    // connectAsync resolves even when the login is refused; the callback form reports it.
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    throw new DependencyUnavailableError('Could not connect to Snowflake', 5, { cause: err });
  }
  const parameters = opts.statementTimeoutSeconds
    ? { STATEMENT_TIMEOUT_IN_SECONDS: opts.statementTimeoutSeconds }
    : undefined;
  return {
    execute: (sqlText) => run(conn, sqlText, parameters),
    close: () =>
      new Promise<void>((resolve) => {
        if (!conn.isUp()) return resolve();
        // A failed logout leaves nothing to clean up on our side; the session expires server-side.
        conn.destroy(() => resolve());
      }),
  };
}

function run(
  conn: Connection,
  sqlText: string,
  parameters: Record<string, unknown> | undefined,
): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    conn.execute({
      sqlText,
      ...(parameters ? { parameters } : {}),
      complete: (err, _stmt, rows) => (err ? reject(toDomainError(err)) : resolve((rows ?? []) as Row[])),
    });
  });
}

/**
 * The PEM private key: SNOWFLAKE_PRIVATE_KEY when set, else the secret at SNOWFLAKE_PRIVATE_KEY_SECRET_ARN
 * (either the PEM itself or JSON with a `privateKey` field).
 */
export async function resolvePrivateKey(opts: {
  privateKey?: string;
  secretArn?: string;
  secrets?: Pick<SecretsManagerClient, 'send'>;
  region?: string;
}): Promise<string> {
  if (opts.privateKey) return normalizePem(opts.privateKey);
  if (!opts.secretArn)
    throw new DependencyUnavailableError(
      'No Snowflake private key configured (SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_SECRET_ARN)',
    );
  const client = opts.secrets ?? new SecretsManagerClient(opts.region ? { region: opts.region } : {});
  let secret: string | undefined;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: opts.secretArn }));
    secret = out.SecretString;
  } catch (err) {
    throw new DependencyUnavailableError('Could not read the Snowflake key from Secrets Manager', 5, {
      cause: err,
    });
  }
  if (!secret) throw new DependencyUnavailableError('The Snowflake key secret has no string value');
  try {
    return privateKeyFromSecret(secret);
  } catch (err) {
    throw new DependencyUnavailableError((err as Error).message);
  }
}

/**
 * The PEM a key secret holds: the PEM itself, or JSON with a `privateKey` field (how the console's
 * key/value editor stores it). SecretUnusableError for anything else; the value never appears in it.
 */
export function privateKeyFromSecret(secret: string): string {
  const trimmed = secret.trim();
  let pem = trimmed;
  if (trimmed.startsWith('{')) {
    let parsed: { privateKey?: unknown } | undefined;
    try {
      parsed = JSON.parse(trimmed) as { privateKey?: unknown };
    } catch {
      parsed = undefined;
    }
    if (typeof parsed?.privateKey !== 'string')
      throw new SecretUnusableError('The Snowflake key secret is JSON without a privateKey field.');
    pem = parsed.privateKey;
  }
  pem = normalizePem(pem);
  if (!/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(pem))
    throw new SecretUnusableError('The Snowflake key secret holds no PEM private key.');
  return pem;
}

/** Environment variables often carry the PEM with literal `\n`. */
function normalizePem(pem: string): string {
  return pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
}
