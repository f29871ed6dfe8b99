import { processIo } from './io.js';
import { runCli } from './program.js';

/** `tributary …` (bin/tributary.mjs) and `npm run tributary -- …` start here. */
const code = await runCli(process.argv.slice(2), processIo());
// Let stdout drain (a piped `--json` summary), then leave even if a keep-alive socket lingers.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
