import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The console is a static bundle in web/dist, served by the API at `/` in local mode. */
export default defineConfig({
  root,
  base: './',
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small app: a single chunk avoids extra round trips and keeps the output predictable.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    // `vite --config web/vite.config.ts` during development talks to a locally running API.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
