import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePrivateKey, toDomainError } from '../../../api/adapters/snowflake/index.js';
import { privateKeyFromSecret } from '../../../api/adapters/snowflake/connection.js';
import {
  DependencyUnavailableError,
  InvalidInputError,
  SecretUnusableError,
} from '../../../api/domain/errors.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

/** Just GetSecretValue of the Secrets Manager JSON protocol, for the real SDK client. */
describe('resolvePrivateKey', () => {
  const secrets = new Map<string, string>([
    ['arn:aws:secretsmanager:eu-west-1:1:secret:pem', PEM],
    ['arn:aws:secretsmanager:eu-west-1:1:secret:json', JSON.stringify({ privateKey: PEM })],
  ]);
  const targets: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      targets.push(String(req.headers['x-amz-target']));
      const id = (JSON.parse(body) as { SecretId: string }).SecretId;
      const value = secrets.get(id);
      res.writeHead(value ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify(
          value
            ? { ARN: id, Name: id, SecretString: value }
            : {
                __type: 'ResourceNotFoundException',
                message: 'Secrets Manager can’t find the specified secret.',
              },
        ),
      );
    });
  });
  let client: SecretsManagerClient;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new SecretsManagerClient({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('prefers the key from the environment, restoring escaped newlines', async () => {
    expect(
      await resolvePrivateKey({
        privateKey: PEM.replace(/\n/g, '\\n'),
        secretArn: 'unused',
        secrets: client,
      }),
    ).toBe(PEM);
    expect(targets).toEqual([]);
  });

  it('reads a PEM or a JSON secret from Secrets Manager', async () => {
    expect(
      await resolvePrivateKey({
        secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:pem',
        secrets: client,
      }),
    ).toBe(PEM);
    expect(
      await resolvePrivateKey({
        secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:json',
        secrets: client,
      }),
    ).toBe(PEM);
    expect(targets).toEqual(['secretsmanager.GetSecretValue', 'secretsmanager.GetSecretValue']);
  });

  it('a missing secret or no key at all is DependencyUnavailableError, without the key in the message', async () => {
    const err = await resolvePrivateKey({
      secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:nope',
      secrets: client,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(resolvePrivateKey({})).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

describe('privateKeyFromSecret', () => {
  it('takes a PEM, escaped or not, or JSON with privateKey', () => {
    expect(privateKeyFromSecret(`  ${PEM}\n`)).toBe(PEM);
    expect(privateKeyFromSecret(PEM.replace(/\n/g, '\\n'))).toBe(PEM);
    expect(privateKeyFromSecret(JSON.stringify({ privateKey: PEM }))).toBe(PEM);
  });

  it('refuses anything else without repeating the value', () => {
    for (const bad of ['hunter2-secret', '{"key":"-----BEGIN PRIVATE KEY-----"}', '{not json hunter2']) {
      const err = (() => {
        try {
          privateKeyFromSecret(bad);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err).toBeInstanceOf(SecretUnusableError);
      expect(err?.message).not.toContain('hunter2');
    }
  });
});

describe('toDomainError', () => {
  it('blames the statement for compilation, data and missing-object errors, and the dependency otherwise', () => {
    const compile = {
      name: 'OperationFailedError',
      code: '001003',
      sqlState: '42000',
      message: "SQL compilation error: syntax error line 1 at position 0 unexpected 'x'.",
    };
    expect(toDomainError(compile)).toBeInstanceOf(InvalidInputError);
    expect(toDomainError(compile).cause).toBe(compile);
    expect(
      toDomainError({ code: '100038', sqlState: '22018', message: "Numeric value 'x' is not recognized" }),
    ).toBeInstanceOf(InvalidInputError);
    expect(
      toDomainError({ code: '003001', sqlState: '42501', message: 'Insufficient privileges' }),
    ).toBeInstanceOf(DependencyUnavailableError);
    expect(
      toDomainError({ code: 401001, message: 'Network error. Could not reach Snowflake.' }),
    ).toBeInstanceOf(DependencyUnavailableError);
    expect(toDomainError(new Error('socket hang up'))).toBeInstanceOf(DependencyUnavailableError);
  });
});
