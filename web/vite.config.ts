import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The console is a static bundle in web/dist, served by the API at `/` in local mode. */
export default defineConfig(({ command }) => {
  // A build is always the production bundle (minified Preact without dev checks), even when a
  // test runner has set NODE_ENV=test; Vite derives that choice from NODE_ENV.
  if (command === 'build') process.env.NODE_ENV = 'production';
  return {
    root,
    base: './',
    plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      target: 'es2022',
      // Fonts and images stay files (there are none today); nothing is inlined behind the user's back.
      assetsInlineLimit: 0,
      reportCompressedSize: true,
    },
    server: {
      // `vite --config web/vite.config.ts` during development talks to a locally running API.
      proxy: { '/v1': 'http://127.0.0.1:8080' },
    },
  };
});
