export type Role = 'admin' | 'producer' | 'consumer';

export interface ApiKey {
  id: string;
  tenant: string;
  name: string;
  role: Role;
  /** Stream names this key may use, or ['*'] for all. */
  streams: string[];
  /** May see sensitive fields unmasked. */
  pii: boolean;
  /** scrypt/sha256 hash of the secret; the secret itself is never stored. */
  hash: string;
  createdAt: string;
  revokedAt?: string;
}

export type Principal = { kind: 'platform' } | { kind: 'key'; key: ApiKey };
