import {
  OpenApiBuilder,
  type HeaderObject,
  type OperationObject,
  type ParameterObject,
  type ResponseObject,
  type SchemaObject,
} from 'openapi3-ts/oas31';
import { z } from 'zod';
import { RESPONSE_HEADERS, headerName, type ResponseHeaderUse } from '../http/headers.js';
import { responsesOf } from '../http/implied-responses.js';
import type { AnyRoute } from '../http/route.js';
import { TAGS } from './tags.js';

type Json = Record<string, unknown>;

/**
 * Builds the OpenAPI 3.1 document from the same route table and zod schemas the app serves,
 * so the contract cannot drift from the code (a test compares it with the committed openapi.yaml).
 */
export function buildOpenApi(routes: AnyRoute[], version: string): Json {
  const components: Record<string, SchemaObject> = {};
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): SchemaObject => {
    const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
    const defs = (out.$defs ?? {}) as Record<string, Json>;
    delete out.$defs;
    delete out.$schema;
    for (const [id, def] of Object.entries(defs)) components[id] ??= rewriteRefs(def) as SchemaObject;
    return rewriteRefs(out) as SchemaObject;
  };

  const builder = OpenApiBuilder.create()
    .addTitle('Tributary')
    .addVersion(version)
    .addDescription(
      'Self-service data ingestion: tenants, scoped keys, streams with schemas and safe evolution, validated ingest ' +
        'acknowledged only after durable storage, and raw/deduped/entity warehouse layers. Errors are RFC 9457 problem+json.',
    )
    .addServer({
      url: '/',
      description:
        'The origin that serves this document: http://localhost:8080 in local mode (`npm start`; PORT sets the port), ' +
        'the load balancer in front of the Lambda in AWS mode.',
    })
    .addSecurityScheme('bearer', {
      type: 'http',
      scheme: 'bearer',
      description: 'trb_<id>_<secret> API key, or the platform admin key',
    });
  for (const tag of TAGS) builder.addTag({ name: tag.name, description: tag.description });
  for (const [name, h] of Object.entries(RESPONSE_HEADERS)) {
    builder.addHeader(name, {
      description: h.description,
      required: h.required,
      schema: structuredClone(h.schema) as SchemaObject,
    });
  }
  const known = new Set<string>(TAGS.map((t) => t.name));

  for (const route of routes) {
    const unknown = route.tags.filter((t) => !known.has(t));
    if (unknown.length)
      throw new Error(`${route.operationId}: tag ${unknown.join(', ')} is not in api/openapi/tags.ts`);
    const parameters: ParameterObject[] = [];
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const obj = toSchema(schema, 'input') as Json;
      const required = new Set((obj.required as string[]) ?? []);
      for (const [name, s] of Object.entries((obj.properties ?? {}) as Record<string, SchemaObject>)) {
        parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
      }
    }
    for (const h of route.headers ?? []) {
      parameters.push({
        name: h.name,
        in: 'header',
        required: h.required,
        description: h.description,
        schema: toSchema(h.schema, 'input'),
      });
    }
    const op: OperationObject = {
      operationId: route.operationId,
      summary: route.summary,
      description: route.description,
      tags: route.tags,
      ...(parameters.length ? { parameters } : {}),
      ...(route.access.kind === 'public' ? { security: [] } : { security: [{ bearer: [] }] }),
      'x-access': route.access,
      responses: Object.fromEntries(
        Object.entries(responsesOf(route)).map(([status, r]) => {
          const headers: Record<string, HeaderObject> = {};
          for (const use of ['X-Request-Id', ...(r.headers ?? [])] as ResponseHeaderUse[])
            Object.assign(headers, headerObject(use));
          const response: ResponseObject = {
            description: r.description,
            headers,
            ...(r.schema
              ? {
                  content: {
                    [r.contentType ?? 'application/json']: { schema: toSchema(r.schema, 'output') },
                  },
                }
              : {}),
          };
          return [status, response];
        }),
      ),
    };
    if (route.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: toSchema(route.body, 'input') } },
      };
    } else if (route.rawBody) {
      op.requestBody = {
        required: true,
        description: route.rawBody.description,
        content: Object.fromEntries(
          route.rawBody.contentTypes.map((t) => [
            t,
            { schema: route.rawBody?.schema ? toSchema(route.rawBody.schema, 'input') : {} },
          ]),
        ),
      };
    }
    builder.addPath(route.path, { ...(builder.getSpec().paths?.[route.path] ?? {}), [route.method]: op });
  }
  for (const [id, schema] of Object.entries(components).sort(([a], [b]) => a.localeCompare(b)))
    builder.addSchema(id, schema);
  return builder.getSpec() as unknown as Json;
}

/** A reference to the shared header, or the header inline where this response changes whether it is required. */
function headerObject(use: ResponseHeaderUse): Record<string, HeaderObject> {
  const name = headerName(use);
  const shared = RESPONSE_HEADERS[name];
  if (typeof use === 'string' || use.required === shared.required)
    return { [name]: { $ref: `#/components/headers/${name}` } };
  return {
    [name]: {
      description: shared.description,
      required: use.required,
      schema: structuredClone(shared.schema) as SchemaObject,
    },
  };
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        k === '$ref' && typeof v === 'string'
          ? v.replace('#/$defs/', '#/components/schemas/')
          : rewriteRefs(v);
    }
    return out;
  }
  return value;
}
