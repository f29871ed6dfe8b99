import { stringify } from 'yaml';
import { routes } from '../routes/index.js';
import { buildOpenApi } from './document.js';
import { API_VERSION } from './version.js';

export function openApiYaml(): string {
  return stringify(buildOpenApi(routes, API_VERSION), { lineWidth: 0, aliasDuplicateObjects: false });
}
