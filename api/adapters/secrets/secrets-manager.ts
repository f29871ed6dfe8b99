/**
 * SecretReader on AWS Secrets Manager (GetSecretValue by ARN). The service's answers in the domain's words:
 * what the caller named wrongly is SecretUnusableError, what the service could not do is
 * DependencyUnavailableError; the SDK error is kept as `cause` either way.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { DependencyUnavailableError, SecretUnusableError } from '../../domain/errors.js';
import type { SecretReader } from '../../ports.js';

export interface SecretsManagerConnection {
  region?: string;
  /** A Secrets Manager-compatible endpoint (tests: the local stub). */
  endpoint?: string;
  /** Static credentials (tests); the default provider chain otherwise. */
  credentials?: SecretsManagerClientConfig['credentials'];
}

export function createSecretsManagerClient(config: SecretsManagerConnection = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  });
}

/**
 * Errors that name the secret or its key wrongly (AWS documents each for GetSecretValue); anything else,
 * throttling and server faults included, is the service's.
 */
const CALLER_ERRORS: Record<string, string> = {
  ResourceNotFoundException: 'does not exist',
  AccessDeniedException: 'may not be read by this service (the stack grants tributary/tenants/* only)',
  InvalidRequestException: 'cannot be read now (it is scheduled for deletion or disabled)',
  InvalidParameterException: 'is not a valid secret id',
  DecryptionFailure: 'cannot be decrypted with its KMS key by this service',
};

export class SecretsManagerReader implements SecretReader {
  constructor(private readonly client: Pick<SecretsManagerClient, 'send'>) {}

  async read(arn: string): Promise<string> {
    let value: string | undefined;
    try {
      value = (await this.client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'Error';
      const problem = CALLER_ERRORS[name];
      if (problem) throw new SecretUnusableError(`The secret ${arn} ${problem}.`, { cause: err });
      throw new DependencyUnavailableError(`Secrets Manager could not answer (${name}).`, 2, { cause: err });
    }
    if (!value) throw new SecretUnusableError(`The secret ${arn} has no string value.`);
    return value;
  }
}
