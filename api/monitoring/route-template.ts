/**
 * Hono's `/v1/tenants/:tenant` as the OpenAPI-style template; anything unmatched is one series. Its own
 * file so the request log can use it without loading prom-client (AWS mode serves no Prometheus).
 */
export function routeTemplate(path: string): string {
  if (!path || path === '*' || path === '/*') return 'unmatched';
  return path.replace(/:(\w+)/g, '{$1}');
}
