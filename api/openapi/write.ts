import { writeFileSync } from 'node:fs';
import { openApiYaml } from './yaml.js';

// `npm run openapi`: regenerate the committed contract from the code.
writeFileSync(new URL('../../openapi.yaml', import.meta.url), openApiYaml());
console.log('wrote openapi.yaml');
