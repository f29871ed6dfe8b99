import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAdminKey } from '../domain/auth/secrets.js';

/**
 * Local mode without TRIBUTARY_ADMIN_KEY: generate one on first start, keep it under the data dir
 * with mode 0600, and say so once.
 */
export function loadOrCreateAdminKey(
  dataDir: string,
  fromEnv: string | undefined,
): { key: string; path?: string; created: boolean } {
  if (fromEnv) return { key: fromEnv, created: false };
  const path = join(dataDir, 'admin-key');
  if (existsSync(path)) return { key: readFileSync(path, 'utf8').trim(), path, created: false };
  mkdirSync(dataDir, { recursive: true });
  const key = newAdminKey();
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, path, created: true };
}
