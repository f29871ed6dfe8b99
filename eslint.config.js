import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const adapterOnly = [
  { group: ['@aws-sdk/*'], message: 'Only adapters may import AWS SDK clients.' },
  { group: ['snowflake-sdk'], message: 'Only adapters may import snowflake-sdk.' },
  { group: ['@duckdb/*'], message: 'Only adapters may import DuckDB.' },
  { group: ['dynalite'], message: 'Only adapters may import dynalite.' },
  {
    group: ['**/adapters/**'],
    message: 'Routes and domain reach adapters only through the services context (api/ports.ts).',
  },
];

/** What the domain must not import, seen from a file `depth` folders below api/. */
const outsideDomain = (up) => [
  { group: [`${up}monitoring/*`], message: 'The domain must not import api/monitoring (runtime code).' },
  { group: [`${up}http/*`], message: 'The domain knows nothing of HTTP.' },
  { group: [`${up}config.js`], message: 'The domain receives settings, not the environment.' },
  { group: [`${up}adapters/*`], message: 'The domain reaches adapters only through api/ports.ts.' },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'cdk.out/',
      '.tributary/',
      'web/dist/',
      'coverage/',
      'test-results/',
      '.tmp/',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['api/routes/**/*.ts', 'api/domain/**/*.ts', 'api/app.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: adapterOnly }] },
  },
  {
    files: ['api/domain/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...adapterOnly, ...outsideDomain('../')] }] },
  },
  {
    files: ['api/domain/*/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...adapterOnly, ...outsideDomain('../../')] }] },
  },
  {
    files: ['api/adapters/*/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../monitoring/*'],
              message: 'Adapters implement ports; they import no monitoring code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../test/*', '**/test/**'], message: 'bench/ must not import test code.' }] },
      ],
    },
  },
  {
    // The SDK ships alone: Node built-ins at run time, nothing else; types from api/ are erased at build.
    files: ['client/**/*.ts'],
    ignores: ['client/cli/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!node:|\\.{1,2}/)',
              allowTypeImports: true,
              message: 'The SDK has no run-time dependencies: import Node built-ins as node:…',
            },
            {
              regex: '(^|/)(api|web|bench|test)/',
              allowTypeImports: true,
              message: 'The SDK may import only types from the rest of the repository (import type).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Type-aware promise rules: this codebase is promise plumbing, and a dropped or misused promise (a
    // flush chained on a rejected one, an async callback where void is expected) fails silently.
    files: ['**/*.{ts,tsx}'],
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // The export side of consistent-type-imports: type-only re-exports are erased, not loaded.
      '@typescript-eslint/consistent-type-exports': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // vitest types its asymmetric matchers (expect.any, expect.stringMatching, ...) as any.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Test stubs implement async ports synchronously.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
