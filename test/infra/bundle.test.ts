import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LAMBDA_ENTRY_FILE,
  bundleLambda,
  ensureLambdaBundle,
  measureBundle,
  measureColdInit,
  staticExternalImports,
} from '../../infra/bundle.js';
import type { BundleReport } from '../../infra/bundle.js';
import { FIXTURE_ENTRY, fixtureWorkspace } from './fixtures/bundle-fixture.js';
import type { FixtureWorkspace } from './fixtures/bundle-fixture.js';

let workspace: FixtureWorkspace;
let report: BundleReport;
let metafile: Metafile;

async function readAll(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.mjs')) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file: path.relative(dir, file), text: await readFile(file, 'utf8') });
  }
  return out;
}

beforeAll(async () => {
  workspace = await fixtureWorkspace();
  report = await measureBundle(workspace.bundleDir);
  metafile = JSON.parse(await readFile(report.metafile, 'utf8')) as Metafile;
});

afterAll(async () => {
  await workspace?.cleanup();
});

describe('bundleLambda', () => {
  it('emits an ESM entry with source maps and a metafile', async () => {
    const entry = await readFile(path.join(workspace.bundleDir, LAMBDA_ENTRY_FILE), 'utf8');
    expect(entry).toMatch(/export\s*\{[^}]*handler/);
    expect(entry).toContain('sourceMappingURL=index.mjs.map');
    await expect(stat(path.join(workspace.bundleDir, `${LAMBDA_ENTRY_FILE}.map`))).resolves.toBeTruthy();
    expect(Object.keys(metafile.outputs).some((o) => o.endsWith(`/${LAMBDA_ENTRY_FILE}`))).toBe(true);
  });

  it('splits lazily imported modules into their own chunks', async () => {
    const files = await readAll(workspace.bundleDir);
    const holders = files.filter((f) => f.text.includes('lazy-warehouse-chunk-marker')).map((f) => f.file);
    expect(holders).toHaveLength(1);
    expect(holders[0]).toMatch(/^chunks\//);
    const entryImports =
      Object.entries(metafile.outputs).find(([o]) => o.endsWith(`/${LAMBDA_ENTRY_FILE}`))?.[1].imports ?? [];
    expect(
      entryImports.some((i) => i.kind === 'dynamic-import' && i.path.includes('chunks/lazy-warehouse')),
    ).toBe(true);
  });

  it('bundles the AWS SDK but leaves DuckDB external', () => {
    const external = Object.values(metafile.outputs).flatMap((o) =>
      o.imports.filter((i) => i.external).map((i) => i.path),
    );
    expect(external).toContain('@duckdb/node-api');
    expect(external.filter((p) => p.startsWith('@aws-sdk/'))).toEqual([]);
    expect(report.chunks.length).toBeGreaterThan(1);
  });

  it('reports entry and total sizes', () => {
    expect(report.entryBytes).toBeGreaterThan(0);
    expect(report.totalBytes).toBe(report.entryBytes + report.chunks.reduce((n, c) => n + c.bytes, 0));
    expect(report.sourceMapBytes).toBeGreaterThan(0);
  });

  it('produces a handler that runs, loading the lazy chunk on demand', async () => {
    const mod = (await import(pathToFileURL(path.join(workspace.bundleDir, LAMBDA_ENTRY_FILE)).href)) as {
      handler: (event: object) => Promise<{ statusCode: number; body: string }>;
    };
    await expect(mod.handler({})).resolves.toEqual({ statusCode: 200, body: 'lazy-warehouse-chunk-marker' });
  });

  it('follows static imports between chunks to the externals loaded at import time', () => {
    const entryOutput = Object.keys(metafile.outputs).find((o) => o.endsWith(`/${LAMBDA_ENTRY_FILE}`)) ?? '';
    // DuckDB is external but only reached through a dynamic import, so it is not loaded eagerly.
    expect(staticExternalImports(metafile, entryOutput)).not.toContain('@duckdb/node-api');
  });

  it('refuses an entry that imports DuckDB statically', async () => {
    await expect(
      bundleLambda({
        entry: path.join(path.dirname(FIXTURE_ENTRY), 'static-duckdb-entry.ts'),
        outdir: path.join(workspace.root, 'static-duckdb'),
      }),
    ).rejects.toThrow(/@duckdb\/node-api is imported statically/);
  });

  it('refuses a missing entry', async () => {
    await expect(
      bundleLambda({
        entry: path.join(workspace.root, 'nope.ts'),
        outdir: path.join(workspace.root, 'nope'),
      }),
    ).rejects.toThrow(/does not exist/);
  });
});

describe('ensureLambdaBundle', () => {
  it('reuses an existing bundle instead of rebuilding it', async () => {
    const entryFile = path.join(workspace.bundleDir, LAMBDA_ENTRY_FILE);
    const before = (await stat(entryFile)).mtimeMs;
    await expect(ensureLambdaBundle({ entry: FIXTURE_ENTRY, outdir: workspace.bundleDir })).resolves.toBe(
      workspace.bundleDir,
    );
    expect((await stat(entryFile)).mtimeMs).toBe(before);
  });
});

describe('measureColdInit', () => {
  it('times fresh processes importing the bundle', async () => {
    const cold = await measureColdInit({ bundleDir: workspace.bundleDir, runs: 1 });
    expect(cold.runs).toBe(1);
    for (const ms of [cold.totalMs, cold.baselineMs, cold.importMs]) expect(Number.isFinite(ms)).toBe(true);
    expect(cold.importMs).toBe(Math.max(0, cold.totalMs - cold.baselineMs));
  });

  it('fails when the bundle cannot be imported', async () => {
    await expect(
      measureColdInit({ bundleDir: path.join(workspace.root, 'missing'), runs: 1 }),
    ).rejects.toThrow(/node exited/);
  });
});
