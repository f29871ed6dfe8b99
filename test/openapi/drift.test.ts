import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openApiYaml } from '../../api/openapi/yaml.js';
import { routes } from '../../api/routes/index.js';

describe('openapi.yaml', () => {
  it('matches what the code generates (run `npm run openapi` after changing routes)', () => {
    const committed = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8');
    expect(committed).toBe(openApiYaml());
  });

  it('documents every route with its security and the problem responses', () => {
    const doc = parse(openApiYaml()) as {
      paths: Record<string, Record<string, { security: unknown[]; responses: Record<string, unknown> }>>;
    };
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      if (r.access.kind !== 'public') expect(op.security).toEqual([{ bearer: [] }]);
      if (r.access.kind === 'tenant')
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '404']));
    }
  });
});
