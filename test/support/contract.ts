import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Checks what the app really answers against the committed openapi.yaml: the operation (path template and
 * method), the status set it declares, the content type, the required response headers and the body (ajv,
 * JSON Schema 2020-12, the document's own component schemas). Route tests get it through the test stack
 * (withContract), server and Lambda tests through contractFetch / checkExchange; test/support/contract-setup.ts
 * fails the running test on any violation, even one a test swallowed.
 */

export interface Exchange {
  method: string;
  /** A path with an optional query, or an absolute URL. */
  url: string;
  status: number;
  headers: Headers | Record<string, string | undefined>;
  /** The body as text; Lambda answers may be base64. */
  body: string;
  base64?: boolean;
}

interface MediaType {
  schema?: unknown;
}
interface HeaderObject {
  required?: boolean;
  schema?: { type?: string; minimum?: number; enum?: string[] };
  $ref?: string;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, HeaderObject>;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { headers?: Record<string, HeaderObject> };
}

const DOC_ID = 'openapi.yaml';
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

interface Loaded {
  doc: Document;
  ajv: Ajv2020;
  templates: { template: string; pattern: RegExp; params: number }[];
  validators: Map<string, ValidateFunction>;
}
let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as Document;
  // strict: false because the document is not itself a schema; its component schemas are reached by $ref.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(doc, DOC_ID);
  const templates = Object.keys(doc.paths)
    .map((template) => ({
      template,
      pattern: new RegExp(
        `^${template
          .split(/\{[^}]+\}/)
          .map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
          .join('[^/]+')}$`,
      ),
      params: (template.match(/\{/g) ?? []).length,
    }))
    // A literal segment beats a parameter where both would match.
    .sort((a, b) => a.params - b.params);
  loaded = { doc, ajv, templates, validators: new Map() };
  return loaded;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function header(headers: Exchange['headers'], name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v ?? undefined;
  return undefined;
}

/** Every way the exchange departs from the document; empty when it conforms. */
export function contractViolations(ex: Exchange): string[] {
  const { doc, ajv, templates, validators } = load();
  const url = new URL(ex.url, 'http://localhost');
  const method = ex.method.toLowerCase();
  const what = `${ex.method.toUpperCase()} ${url.pathname} → ${ex.status}`;
  const match = templates.find((t) => t.pattern.test(url.pathname));
  const op = match ? doc.paths[match.template]?.[method] : undefined;
  if (!match || !op) {
    // No operation: the app's own not-found answer is the only thing it may say.
    const body = safeJson(ex);
    const ok = ex.status === 404 && (body as { code?: string } | undefined)?.code === 'route_not_found';
    return ok ? [] : [`${what}: no operation in openapi.yaml for this method and path`];
  }
  const where = `${what} (${op.operationId})`;
  const response = op.responses[String(ex.status)];
  if (!response) {
    return [
      `${where}: status ${ex.status} is not declared (declared: ${Object.keys(op.responses).join(', ')})`,
    ];
  }
  const out: string[] = [];

  for (const [name, declared] of Object.entries(response.headers ?? {})) {
    const h = declared.$ref ? doc.components.headers?.[declared.$ref.split('/').pop()!] : declared;
    const value = header(ex.headers, name);
    if (value === undefined) {
      if (h?.required) out.push(`${where}: required header ${name} is missing`);
      continue;
    }
    if (h?.schema?.type === 'integer' && !/^\d+$/.test(value))
      out.push(`${where}: header ${name}=${value} is not an integer`);
    if (h?.schema?.enum && !h.schema.enum.includes(value))
      out.push(`${where}: header ${name}=${value} is not one of ${h.schema.enum.join(', ')}`);
  }

  const text = ex.base64 ? Buffer.from(ex.body, 'base64').toString('utf8') : ex.body;
  const declaredTypes = Object.keys(response.content ?? {});
  if (declaredTypes.length === 0) {
    if (text.length > 0) out.push(`${where}: declares no body but got ${text.length} bytes`);
    return out;
  }
  const contentType = (header(ex.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!declaredTypes.includes(contentType)) {
    out.push(
      `${where}: content type '${contentType}' is not declared (declared: ${declaredTypes.join(', ')})`,
    );
    return out;
  }
  if (method === 'head') return out;
  let body: unknown = text;
  if (/[/+]json$/.test(contentType)) {
    try {
      body = JSON.parse(text);
    } catch {
      out.push(`${where}: body is not JSON: ${text.slice(0, 200)}`);
      return out;
    }
  }
  const ref = `${DOC_ID}#/${pointer('paths', match.template, method, 'responses', String(ex.status), 'content', contentType, 'schema')}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.getSchema(ref);
    if (!validate) throw new Error(`contract: no schema at ${ref}`);
    validators.set(ref, validate);
  }
  if (!validate(body)) {
    const errors = (validate.errors ?? [])
      .slice(0, 5)
      .map(
        (e) =>
          `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : ''}`,
      );
    out.push(
      `${where}: body does not match the declared schema: ${errors.join('; ')}; body: ${text.slice(0, 300)}`,
    );
  }
  return out;
}

function safeJson(ex: Exchange): unknown {
  try {
    return JSON.parse(ex.base64 ? Buffer.from(ex.body, 'base64').toString('utf8') : ex.body);
  } catch {
    return undefined;
  }
}

/** Violations seen since the last takeViolations(); contract-setup.ts fails the test that caused them. */
const seen: string[] = [];
let checked = 0;

export function takeViolations(): string[] {
  return seen.splice(0, seen.length);
}

/** How many exchanges were checked in this test file so far. */
export function checkedCount(): number {
  return checked;
}

export class ContractViolation extends Error {}

/** Checks one exchange; throws (and records, in case the caller swallows it) when it departs from openapi.yaml. */
export function checkExchange(ex: Exchange): void {
  checked++;
  const violations = contractViolations(ex);
  if (violations.length === 0) return;
  seen.push(...violations);
  throw new ContractViolation(`Response departs from openapi.yaml:\n  ${violations.join('\n  ')}`);
}

/** Checks a fetch Response without consuming it. A body that cannot be read (the server died) is not checked. */
export async function checkResponse(method: string, url: string, res: Response): Promise<void> {
  let body: string;
  try {
    body = await res.clone().text();
  } catch {
    return;
  }
  checkExchange({ method, url, status: res.status, headers: res.headers, body });
}

/** An app (Hono) whose every answer, through app.request or app.fetch, is checked against the contract. */
export function withContract<
  T extends { fetch: (req: Request, ...rest: never[]) => Response | Promise<Response> },
>(app: T): T {
  const inner = app.fetch;
  app.fetch = async (req: Request, ...rest: never[]) => {
    const res = await inner(req, ...rest);
    await checkResponse(req.method, req.url, res);
    return res;
  };
  return app;
}

/** fetch, checked against the contract (for tests that talk to a server process over HTTP). */
export const contractFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = input instanceof Request ? input.url : String(input);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  await checkResponse(method, url, res);
  return res;
};
