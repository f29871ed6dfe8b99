import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateAdminKey } from '../../api/compose/admin-key.js';

describe('admin key', () => {
  it('is generated once with mode 0600 and reused on the next start', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'adm-')), 'data');
    const first = loadOrCreateAdminKey(dir, undefined);
    expect(first.created).toBe(true);
    expect(first.key).toMatch(/^trb_platform_[A-Za-z0-9_-]{43}$/);
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    const second = loadOrCreateAdminKey(dir, undefined);
    expect(second).toMatchObject({ key: first.key, created: false });
    expect(loadOrCreateAdminKey(dir, 'from-env-key-0123456789abcdef').key).toBe(
      'from-env-key-0123456789abcdef',
    );
  });
});
