/**
 * A local stand-in for AWS Secrets Manager: a node:http server speaking the JSON 1.1 protocol for
 * GetSecretValue, so tests drive the real @aws-sdk/client-secrets-manager. It answers as the service does
 * (ARN or name as SecretId, ResourceNotFoundException, AccessDeniedException outside what the caller's
 * policy allows), records every call, and injects faults on demand.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type SecretsFault =
  /** HTTP 500 InternalServiceError. */
  | { kind: 'http500' }
  /** HTTP 400 ThrottlingException, as the service throttles. */
  | { kind: 'throttle' }
  /** Any error type the service documents, e.g. DecryptionFailure. */
  | { kind: 'error'; type: string; status?: number };

export interface SecretsCall {
  target: string;
  secretId: string;
  /** 'ok', or the error type the call was answered with. */
  outcome: string;
}

export interface SecretsManagerStub {
  readonly endpoint: string;
  readonly calls: SecretsCall[];
  /** Stores a secret; returns its ARN (name plus the random suffix AWS appends). */
  put(name: string, value: string | undefined): string;
  /** Fails the next `times` GetSecretValue calls with `fault`. */
  fail(fault: SecretsFault, times?: number): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export interface SecretsStubOptions {
  region?: string;
  account?: string;
  /**
   * Names the caller may read, as an IAM policy on `secret:<prefix>*` would allow; others answer
   * AccessDeniedException, whether they exist or not. Default: every name.
   */
  allowedPrefix?: string;
}

export async function startSecretsManagerStub(opts: SecretsStubOptions = {}): Promise<SecretsManagerStub> {
  const region = opts.region ?? 'us-east-1';
  const account = opts.account ?? '123456789012';
  const byArn = new Map<string, { name: string; value: string | undefined }>();
  const calls: SecretsCall[] = [];
  const faults: Array<{ fault: SecretsFault; remaining: number }> = [];
  let serial = 0;

  const find = (id: string) => byArn.get(id) ?? [...byArn.values()].find((s) => s.name === id);
  const arnOf = (id: string) => [...byArn.entries()].find(([arn, s]) => arn === id || s.name === id)?.[0];
  const nameIn = (id: string) =>
    id.startsWith('arn:') ? id.split(':secret:')[1]?.replace(/-\w{6}$/, '') : id;

  const answer = (secretId: string): { status: number; body: Record<string, unknown> } => {
    const head = faults[0];
    if (head) {
      if (--head.remaining <= 0) faults.shift();
      const f = head.fault;
      if (f.kind === 'http500')
        return { status: 500, body: { __type: 'InternalServiceError', message: 'Internal failure.' } };
      if (f.kind === 'throttle')
        return { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
      return { status: f.status ?? 400, body: { __type: f.type, message: `Injected ${f.type}` } };
    }
    const name = nameIn(secretId) ?? '';
    if (opts.allowedPrefix !== undefined && !name.startsWith(opts.allowedPrefix)) {
      return {
        status: 400,
        body: {
          __type: 'AccessDeniedException',
          message: `User is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretId}`,
        },
      };
    }
    const secret = find(secretId);
    if (!secret)
      return {
        status: 400,
        body: {
          __type: 'ResourceNotFoundException',
          message: 'Secrets Manager can’t find the specified secret.',
        },
      };
    return {
      status: 200,
      body: {
        ARN: arnOf(secretId),
        Name: secret.name,
        VersionId: '00000000-0000-0000-0000-000000000001',
        ...(secret.value === undefined ? { SecretBinary: 'AA==' } : { SecretString: secret.value }),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      },
    };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let secretId = '';
      try {
        secretId = String(
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId,
        );
      } catch {
        secretId = '';
      }
      const out =
        target === 'secretsmanager.GetSecretValue'
          ? answer(secretId)
          : { status: 400, body: { __type: 'UnknownOperationException', message: target } };
      calls.push({ target, secretId, outcome: out.status === 200 ? 'ok' : String(out.body.__type) });
      const text = JSON.stringify(out.body);
      res.writeHead(out.status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': `req-${calls.length}`,
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    put(name, value) {
      const suffix = (++serial).toString(36).padStart(6, 'a').slice(-6);
      const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
      byArn.set(arn, { name, value });
      return arn;
    },
    fail(fault, times = 1) {
      faults.push({ fault, remaining: times });
    },
    clearFaults() {
      faults.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
