import type { Command } from 'commander';
import { IDENTIFIER_PATTERN } from '../../api/domain/identifiers.js';
import { Tributary } from '../index.js';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';

export const DEFAULT_URL = 'http://localhost:8080';
const USER_AGENT = 'tributary-cli/0.1';

export interface GlobalOptions {
  url?: string;
  key?: string;
  tenant?: string;
}

/** What every command gets: the streams to write to, the SDK's client, and the tenant when it needs one. */
export interface Ctx {
  io: CliIo;
  api: Tributary;
  url: string;
  tenant(): string;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: '${url}' is not a URL (e.g. ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`--url: '${url}' must be an http:// or https:// URL`);
  return url;
}

/** Flags win over the environment (TRIBUTARY_URL, TRIBUTARY_KEY, TRIBUTARY_TENANT), which wins over defaults. */
export function contextFor(cmd: Command, io: CliIo): Ctx {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const url = checkUrl(g.url ?? io.env.TRIBUTARY_URL ?? DEFAULT_URL);
  const key = g.key ?? io.env.TRIBUTARY_KEY;
  // Without io.fetch (a real run) the SDK speaks node:http with keep-alive; tests pass a checking fetch.
  const api = new Tributary({ url, key, fetch: io.fetch, userAgent: USER_AGENT });
  return {
    io,
    api,
    url,
    tenant: () => {
      const tenant = g.tenant ?? io.env.TRIBUTARY_TENANT;
      if (!tenant) throw new UsageError('--tenant is required (or set TRIBUTARY_TENANT)');
      return checkName('--tenant', tenant);
    },
  };
}

/** Tenant and stream names as the API checks them, so a typo fails before any request. */
export function checkName(what: string, name: string): string {
  if (!IDENTIFIER_PATTERN.test(name))
    throw new UsageError(
      `${what}: '${name}' is not a valid name (lower-case letters, digits and _, starting with a letter)`,
    );
  return name;
}

/** Parses a positive integer flag value, or throws a usage error naming the flag. */
export function positiveInt(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return wholeNumber(flag, 1, max);
}

/** Parses a whole-number flag value from `min` to `max`, or throws a usage error naming the flag. */
export function wholeNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new UsageError(`${flag}: '${value}' must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A flag restricted to a few values. */
export function oneOf<T extends string>(flag: string, values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw new UsageError(`${flag}: '${value}' must be one of ${values.join(', ')}`);
    return value as T;
  };
}
