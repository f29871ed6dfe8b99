import type { Context } from 'hono';
import type { z } from 'zod';
import type { Action } from '../domain/auth/authorize.js';
import type { Ctx } from '../domain/context.js';
import type { Services } from '../services.js';
import type { ResponseHeaderUse } from './headers.js';

export interface AppEnv {
  /** `openapi` is the document of the app's own route table, built on first use. */
  Variables: { requestId: string; services: Services; ctx: Ctx; openapi: () => unknown };
}

/**
 * Who may call a route. The domain verb enforces it; the declaration drives the OpenAPI security
 * section and the generated route × role × tenant security suite.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'any-key' }
  | { kind: 'platform' }
  /** `orPlatform`: the platform admin key may call it too (for any tenant). */
  | { kind: 'tenant'; action: Action; stream: boolean; orPlatform?: true };

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  /** Headers beyond X-Request-Id (which every response carries). */
  headers?: ResponseHeaderUse[];
}

/**
 * A request header the route reads itself (the domain verb validates it); declared for the contract.
 * Content-Type and Authorization are described by the request body and the security scheme instead.
 */
export interface RequestHeaderSpec {
  name: string;
  description: string;
  required: boolean;
  schema: z.ZodType;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export interface RouteInput<P, Q, B> {
  c: Context<AppEnv>;
  ctx: Ctx;
  params: Infer<P>;
  query: Infer<Q>;
  body: Infer<B>;
}

export interface RouteDef<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI-style path, e.g. /v1/tenants/{tenant}/keys */
  path: string;
  operationId: string;
  summary: string;
  /** What it does, who may call it and its notable errors (the OpenAPI operation description). */
  description: string;
  tags: string[];
  access: Access;
  params?: P;
  query?: Q;
  /** JSON body schema. Routes that read the raw body themselves (ingest) declare `rawBody` instead. */
  body?: B;
  /** `schema`, when given, documents the parsed body (e.g. a form's fields); the handler still parses it. */
  rawBody?: { contentTypes: string[]; description: string; schema?: z.ZodType };
  headers?: RequestHeaderSpec[];
  /**
   * The statuses this route's handler and verb give. What the pipeline in api/app.ts adds for every route
   * (401/403/404 from auth, 400 from path/query/body checks, 413/415 from the JSON body reader, 503 from
   * the catalog, 500) is added by impliedResponses (api/http/implied-responses.ts).
   */
  responses: Record<number, ResponseSpec>;
  handler: (input: RouteInput<P, Q, B>) => Promise<Response>;
}

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(def: RouteDef<P, Q, B>): RouteDef<P, Q, B> {
  return def;
}

/** Routes are stored type-erased in the table. */
export type AnyRoute = RouteDef<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;
