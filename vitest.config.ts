import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Fails a test whose responses depart from openapi.yaml (test/support/contract.ts).
    setupFiles: ['test/support/contract-setup.ts'],
  },
});
