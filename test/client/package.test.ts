import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { IDENTIFIER_PATTERN } from '../../api/domain/identifiers.js';
import { NAME_PATTERN } from '../../client/producer-settings.js';
import { REPO_ROOT } from '../../bench/server-process.js';

describe('the SDK as a package', () => {
  it('bundles from client/ alone, importing nothing at run time but node: built-ins', async () => {
    const result = await build({
      entryPoints: ['client/index.ts'],
      absWorkingDir: REPO_ROOT,
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => !path.startsWith('client/'))).toEqual([]);
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((path) => !path.startsWith('node:'))).toEqual([]);
  });

  it('checks tenant and stream names with the API’s own pattern', () => {
    expect(NAME_PATTERN.source).toBe(IDENTIFIER_PATTERN.source);
  });
});
