import { headerName, type ResponseHeaderUse } from './headers.js';
import { PROBLEM_JSON, PayloadTooLargeProblemSchema, ProblemSchema } from './problem-schema.js';
import type { AnyRoute, ResponseSpec } from './route.js';

const problem = (description: string, headers?: ResponseHeaderUse[]): ResponseSpec => ({
  description,
  schema: ProblemSchema,
  contentType: PROBLEM_JSON,
  ...(headers ? { headers } : {}),
});

/**
 * The statuses the request pipeline in api/app.ts gives any route, whatever its handler does: derived from
 * the same route declaration `mount` reads, so the contract follows when a route gains params or a body.
 */
export function impliedResponses(route: AnyRoute): Record<number, ResponseSpec> {
  const out: Record<number, ResponseSpec> = {};
  const takesNoBody = !route.body && !route.rawBody && route.method !== 'get';
  if (route.params || route.query || route.body || takesNoBody) {
    const checks = [
      route.params && 'a path parameter',
      route.query && 'a query parameter',
      route.body && 'the JSON body',
      takesNoBody && 'a body sent to an operation that takes none',
    ].filter(Boolean);
    out[400] = problem(`Invalid input (${checks.join(', ')}); \`errors\` names each field`);
  }
  if (route.access.kind !== 'public') {
    out[401] = problem('Missing, unknown or revoked key', ['WWW-Authenticate']);
  }
  if (route.access.kind === 'platform') out[403] = problem('Only the platform admin key may do this');
  if (route.access.kind === 'tenant') {
    out[403] = problem('The key’s role or stream scope does not allow this');
    out[404] = problem('Not found (another tenant’s resources are reported as not found)');
  }
  if (route.body) {
    out[413] = {
      description: 'The body exceeds the control-plane limit; `limit` names it (maxControlBodyBytes)',
      schema: PayloadTooLargeProblemSchema,
      contentType: PROBLEM_JSON,
    };
    out[415] = problem('Content-Type is not application/json');
  }
  if (route.access.kind !== 'public') {
    out[503] = problem(
      'A dependency (the catalog, the warehouse) is unavailable; retry after Retry-After seconds',
      ['Retry-After'],
    );
  }
  out[500] = problem(
    'Unexpected error, or a dependency the deployment set up wrong (code `misconfigured`, e.g. a catalog table ' +
      'without the index this version queries): retrying will not help; quote the requestId when reporting it',
  );
  return out;
}

/** Implied responses with the route's own on top (a route's description and schema win; headers add up). */
export function responsesOf(route: AnyRoute): Record<number, ResponseSpec> {
  const implied = impliedResponses(route);
  const merged: Record<number, ResponseSpec> = { ...implied };
  for (const [status, spec] of Object.entries(route.responses)) {
    const base = implied[Number(status)];
    // The route's own use of a header (e.g. Retry-After only sometimes) replaces the implied one.
    const own = new Set((spec.headers ?? []).map(headerName));
    const headers = [
      ...(base?.headers ?? []).filter((h) => !own.has(headerName(h))),
      ...(spec.headers ?? []),
    ];
    merged[Number(status)] = { ...base, ...spec, ...(headers.length ? { headers } : {}) };
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => Number(a) - Number(b)));
}
