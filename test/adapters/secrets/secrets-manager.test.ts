import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SecretsManagerReader,
  createSecretsManagerClient,
} from '../../../api/adapters/secrets/secrets-manager.js';
import { DependencyUnavailableError, SecretUnusableError } from '../../../api/domain/errors.js';
import { startSecretsManagerStub, type SecretsManagerStub } from '../../support/secrets-manager-stub.js';

/** The reader through the real SDK client against the stub: values, what callers named wrongly, service faults. */
let stub: SecretsManagerStub;
let reader: SecretsManagerReader;
let client: ReturnType<typeof createSecretsManagerClient>;

beforeAll(async () => {
  stub = await startSecretsManagerStub({ allowedPrefix: 'tributary/tenants/' });
  client = createSecretsManagerClient({
    region: 'us-east-1',
    endpoint: stub.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  reader = new SecretsManagerReader(client);
});
afterAll(async () => {
  client.destroy();
  await stub.close();
});

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('SecretsManagerReader', () => {
  it('reads a secret string by ARN with GetSecretValue', async () => {
    const arn = stub.put('tributary/tenants/acme', 'the value');
    expect(await reader.read(arn)).toBe('the value');
    expect(stub.calls.at(-1)).toEqual({
      target: 'secretsmanager.GetSecretValue',
      secretId: arn,
      outcome: 'ok',
    });
  });

  it('a missing secret, one outside the granted prefix or one without a string is SecretUnusableError', async () => {
    const missing = await errorOf(
      reader.read('arn:aws:secretsmanager:us-east-1:123456789012:secret:tributary/tenants/nope-abcdef'),
    );
    expect(missing).toBeInstanceOf(SecretUnusableError);
    expect(missing?.message).toMatch(/does not exist/);
    expect(missing?.cause).toMatchObject({ name: 'ResourceNotFoundException' });

    const outside = await errorOf(reader.read(stub.put('prod/db-password', 'x')));
    expect(outside).toBeInstanceOf(SecretUnusableError);
    expect(outside?.message).toMatch(/may not be read.*tributary\/tenants\/\*/);

    const binary = await errorOf(reader.read(stub.put('tributary/tenants/binary', undefined)));
    expect(binary).toBeInstanceOf(SecretUnusableError);
    expect(binary?.message).toMatch(/no string value/);

    stub.fail({ kind: 'error', type: 'DecryptionFailure' });
    const undecryptable = await errorOf(reader.read(stub.put('tributary/tenants/kms', 'x')));
    expect(undecryptable).toBeInstanceOf(SecretUnusableError);
    expect(undecryptable?.cause).toMatchObject({ name: 'DecryptionFailure' });
  });

  it('rides out one throttled or failed call (SDK retry), and reports a service that keeps failing as unavailable', async () => {
    const arn = stub.put('tributary/tenants/flaky', 'v');
    stub.fail({ kind: 'throttle' }, 1);
    expect(await reader.read(arn)).toBe('v');
    expect(stub.calls.slice(-2).map((c) => c.outcome)).toEqual(['ThrottlingException', 'ok']);

    stub.fail({ kind: 'http500' }, 10);
    const down = await errorOf(reader.read(arn));
    expect(down).toBeInstanceOf(DependencyUnavailableError);
    expect(down).not.toBeInstanceOf(SecretUnusableError);
    expect(down?.cause).toMatchObject({ name: 'InternalServiceError' });
    stub.clearFaults();
  });
});
