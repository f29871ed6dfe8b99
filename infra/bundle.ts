import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Metafile } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEFAULT_LAMBDA_ENTRY = path.join(repoRoot, 'api', 'lambda.ts');
export const DEFAULT_LAMBDA_OUTDIR = path.join(repoRoot, 'dist', 'lambda');
/** The handler file name inside the bundle directory; the Lambda handler string is `index.handler`. */
export const LAMBDA_ENTRY_FILE = 'index.mjs';

/**
 * esbuild's ESM output cannot `require()` Node built-ins from bundled CommonJS packages
 * (snowflake-sdk and parts of the AWS SDK are CJS), so every chunk gets a real `require`
 * and the CJS path globals.
 */
const ESM_CJS_SHIM = [
  "import { createRequire as __tributaryCreateRequire } from 'node:module';",
  "import { fileURLToPath as __tributaryFileURLToPath } from 'node:url';",
  "import { dirname as __tributaryDirname } from 'node:path';",
  'const require = __tributaryCreateRequire(import.meta.url);',
  'const __filename = __tributaryFileURLToPath(import.meta.url);',
  'const __dirname = __tributaryDirname(__filename);',
].join('\n');

/**
 * Packages only local mode uses (embedded DuckDB; dynalite, whose LevelDB binding is native). They
 * stay out of the bundle, so the aws path must never import them at load time.
 */
export const LOCAL_ONLY_PACKAGES = ['@duckdb/*', 'dynalite'] as const;

function isLocalOnly(specifier: string): boolean {
  return LOCAL_ONLY_PACKAGES.some((p) =>
    p.endsWith('/*')
      ? specifier.startsWith(p.slice(0, -1))
      : specifier === p || specifier.startsWith(`${p}/`),
  );
}

export interface BundleOptions {
  /** TypeScript entry exporting `handler`; defaults to api/lambda.ts. */
  entry?: string;
  /** Output directory, emptied first; defaults to dist/lambda. */
  outdir?: string;
  /** Print the size summary to stdout. */
  log?: boolean;
}

export interface BundleFile {
  /** Path relative to the bundle directory. */
  file: string;
  bytes: number;
}

export interface BundleReport {
  outdir: string;
  entryFile: string;
  entryBytes: number;
  /** Bytes of all JavaScript files (entry and chunks), without source maps. */
  totalBytes: number;
  /** Bytes of the source maps shipped next to the code. */
  sourceMapBytes: number;
  chunks: BundleFile[];
  metafile: string;
}

/** Bundles the Lambda entry as code-split ESM for Node.js 22 on arm64 (the bundle itself is architecture-neutral). */
export async function bundleLambda(options: BundleOptions = {}): Promise<BundleReport> {
  const entry = path.resolve(options.entry ?? DEFAULT_LAMBDA_ENTRY);
  const outdir = path.resolve(options.outdir ?? DEFAULT_LAMBDA_OUTDIR);
  if (!existsSync(entry)) throw new Error(`Lambda entry ${entry} does not exist`);
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });

  const result = await build({
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Lazily imported adapters (snowflake-sdk, the DuckDB adapter) land in their own chunks,
    // so a cold start only parses what the handler touches.
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    legalComments: 'none',
    mainFields: ['module', 'main'],
    conditions: ['node', 'import'],
    // The AWS SDK v3 clients are bundled on purpose: we pin their versions instead of taking the
    // runtime's copy. The local-mode engines are native modules that aws mode never loads.
    external: [...LOCAL_ONLY_PACKAGES],
    banner: { js: ESM_CJS_SHIM },
    logLevel: 'warning',
  });

  await writeFile(path.join(outdir, 'metafile.json'), JSON.stringify(result.metafile));
  const entryOutput = Object.keys(result.metafile.outputs).find(
    (o) => path.resolve(o) === path.join(outdir, LAMBDA_ENTRY_FILE),
  );
  const eager = entryOutput ? staticExternalImports(result.metafile, entryOutput) : [];
  const notShipped = eager.filter(isLocalOnly);
  if (notShipped.length > 0) {
    // Never leave a bundle behind that ensureLambdaBundle would pick up and deploy.
    await rm(outdir, { recursive: true, force: true });
    throw new Error(
      `${notShipped.join(', ')} is imported statically from the Lambda entry, but local-only packages are not shipped: ` +
        'import them lazily (await import()) from local-mode code, and not through a barrel the aws path imports',
    );
  }
  const report = await measureBundle(outdir);
  if (options.log) printBundleReport(report);
  return report;
}

/** External modules loaded as soon as `output` is imported (following static imports between chunks). */
export function staticExternalImports(metafile: Metafile, output: string): string[] {
  const externals = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of metafile.outputs[file]?.imports ?? []) {
      if (imp.kind !== 'import-statement') continue;
      if (imp.external) externals.add(imp.path);
      else visit(imp.path);
    }
  };
  visit(output);
  return [...externals].sort();
}

/** Sizes of the bundle files already on disk. */
export async function measureBundle(outdir: string = DEFAULT_LAMBDA_OUTDIR): Promise<BundleReport> {
  const files = await listFiles(outdir);
  const chunks: BundleFile[] = [];
  let totalBytes = 0;
  let sourceMapBytes = 0;
  let entryBytes = 0;
  for (const file of files) {
    const bytes = (await stat(path.join(outdir, file))).size;
    if (file.endsWith('.mjs')) {
      totalBytes += bytes;
      if (file === LAMBDA_ENTRY_FILE) entryBytes = bytes;
      else chunks.push({ file, bytes });
    } else if (file.endsWith('.map')) {
      sourceMapBytes += bytes;
    }
  }
  chunks.sort((a, b) => b.bytes - a.bytes);
  return {
    outdir,
    entryFile: path.join(outdir, LAMBDA_ENTRY_FILE),
    entryBytes,
    totalBytes,
    sourceMapBytes,
    chunks,
    metafile: path.join(outdir, 'metafile.json'),
  };
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const dirent of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${dirent.name}` : dirent.name;
    if (dirent.isDirectory()) out.push(...(await listFiles(path.join(dir, dirent.name), rel)));
    else out.push(rel);
  }
  return out;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

export function printBundleReport(
  report: Pick<BundleReport, 'outdir' | 'entryBytes' | 'totalBytes' | 'sourceMapBytes' | 'chunks'>,
): void {
  console.log(`lambda bundle: ${report.outdir}`);
  console.log(`  entry chunk ${LAMBDA_ENTRY_FILE}: ${formatBytes(report.entryBytes)}`);
  console.log(`  total (entry + ${report.chunks.length} chunks): ${formatBytes(report.totalBytes)}`);
  console.log(`  source maps: ${formatBytes(report.sourceMapBytes)}`);
  for (const chunk of report.chunks.slice(0, 5))
    console.log(`    ${chunk.file}: ${formatBytes(chunk.bytes)}`);
}

/** Bundles only when the entry file is missing, so synth and tests never pay for a rebuild they don't need. */
export async function ensureLambdaBundle(options: Omit<BundleOptions, 'log'> = {}): Promise<string> {
  const outdir = path.resolve(options.outdir ?? DEFAULT_LAMBDA_OUTDIR);
  if (!existsSync(path.join(outdir, LAMBDA_ENTRY_FILE))) await bundleLambda({ ...options, outdir });
  return outdir;
}

export interface ColdInitOptions {
  bundleDir?: string;
  /** Extra environment for the child (e.g. TRIBUTARY_MODE=aws). */
  env?: Record<string, string>;
  /** Number of spawns; the median is reported. */
  runs?: number;
}

export interface ColdInitReport {
  /** Median wall time of `node -e "import(bundle)"`, process start to exit. */
  totalMs: number;
  /** Median wall time of `node -e ""` on the same machine. */
  baselineMs: number;
  /** totalMs − baselineMs: what loading the entry chunk costs on a cold process. */
  importMs: number;
  runs: number;
}

/** Spawns fresh Node processes that import the bundle, approximating the module-load part of a Lambda cold start. */
export async function measureColdInit(options: ColdInitOptions = {}): Promise<ColdInitReport> {
  const bundleDir = path.resolve(options.bundleDir ?? DEFAULT_LAMBDA_OUTDIR);
  const entryUrl = pathToFileURL(path.join(bundleDir, LAMBDA_ENTRY_FILE)).href;
  const runs = Math.max(1, options.runs ?? 3);
  const env = { ...process.env, ...options.env };
  const totals: number[] = [];
  const baselines: number[] = [];
  for (let i = 0; i < runs; i++) {
    baselines.push(await timeNode('', env));
    totals.push(
      await timeNode(
        `import(${JSON.stringify(entryUrl)}).catch((e) => { console.error(e); process.exit(1); })`,
        env,
      ),
    );
  }
  const totalMs = median(totals);
  const baselineMs = median(baselines);
  return { totalMs, baselineMs, importMs: Math.max(0, totalMs - baselineMs), runs };
}

function timeNode(script: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`node exited with ${code}: ${stderr.trim()}`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A complete aws-mode environment (placeholder resource names) so an entry that reads its config at
 * import time loads the same way it would in Lambda. Nothing is contacted during import.
 */
export const COLD_INIT_ENV: Readonly<Record<string, string>> = {
  TRIBUTARY_MODE: 'aws',
  AWS_REGION: 'us-east-1',
  TRIBUTARY_TABLE_NAME: 'tributary-cold-init',
  TRIBUTARY_FIREHOSE_STREAM: 'tributary-cold-init-raw',
  TRIBUTARY_FIREHOSE_QUARANTINE_STREAM: 'tributary-cold-init-quarantine',
  TRIBUTARY_S3_BUCKET: 'tributary-cold-init',
  TRIBUTARY_ADMIN_KEY: 'cold-init-admin-key-0123456789abcdef',
  NODE_OPTIONS: '--enable-source-maps',
};

async function main(): Promise<void> {
  const report = await bundleLambda({ log: true });
  const cold = await measureColdInit({ bundleDir: report.outdir, env: { ...COLD_INIT_ENV } });
  console.log(
    `  cold import: ${cold.importMs.toFixed(0)} ms (process ${cold.totalMs.toFixed(0)} ms, bare node ${cold.baselineMs.toFixed(0)} ms, median of ${cold.runs})`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
