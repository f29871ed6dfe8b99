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
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
