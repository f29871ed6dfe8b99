import { newKeyMaterial } from '../auth/secrets.js';
import type { Services } from '../../services.js';
import type { ApiKey, Role } from './types.js';

export interface IssuedKey {
  id: string;
  /** The full bearer token; shown once, never stored. */
  secret: string;
  name: string;
  role: Role;
  streams: string[];
  pii: boolean;
  createdAt: string;
}

export async function issueKey(
  services: Services,
  input: { tenant: string; name: string; role: Role; streams: string[]; pii: boolean },
): Promise<IssuedKey> {
  const material = newKeyMaterial();
  const key: ApiKey = {
    id: material.id,
    tenant: input.tenant,
    name: input.name,
    role: input.role,
    streams: input.streams,
    pii: input.pii,
    hash: material.hash,
    createdAt: services.now().toISOString(),
  };
  await services.catalog.createKey(key);
  return {
    id: key.id,
    secret: material.token,
    name: key.name,
    role: key.role,
    streams: key.streams,
    pii: key.pii,
    createdAt: key.createdAt,
  };
}

/** A key as listed: never the hash, never the secret. */
export function publicKey(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    streams: k.streams,
    pii: k.pii,
    createdAt: k.createdAt,
    ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}),
  };
}
