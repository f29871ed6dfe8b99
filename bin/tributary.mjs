#!/usr/bin/env -S node --max-semi-space-size=2
// The `tributary` bin: runs the TypeScript CLI with no build step. tsx's ESM loader is registered in this
// process (not a child), so signals reach the CLI directly and Ctrl-C saves a push's checkpoint.
// --max-semi-space-size=2: push allocates a stream of short-lived garbage (a parse per record); a small
// young generation keeps its peak RSS about 50 MiB lower at the same speed (BENCHMARKS.md, cli-push).
// `npm run tributary` passes the same flag; bench/cli-push.ts reads it from the line above.
import { register } from 'tsx/esm/api';

register();
await import('../client/cli/main.ts');
