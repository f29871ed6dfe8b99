import type { ALBEvent, ALBResult } from 'aws-lambda';
import { checkExchange } from './contract.js';

/*
 * HTTP requests turned into Application Load Balancer Lambda-target events the way the load balancer
 * builds them, and the function's answers checked the way the load balancer reads them
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html):
 * - header names arrive lower-cased;
 * - with multi-value headers enabled on the target group the event carries `multiValueHeaders` and
 *   `multiValueQueryStringParameters` (every value the client sent), otherwise `headers` and
 *   `queryStringParameters` with the last value of each name;
 * - query keys and values are passed as the client encoded them, not decoded;
 * - the body is base64-encoded (`isBase64Encoded`) when a Content-Encoding header is present or the
 *   content type is not text/*, application/json, application/javascript or application/xml;
 * - the answer must use `multiValueHeaders` when the group enables them and `headers` otherwise, and
 *   its JSON may be at most 1 MB.
 */

export type AlbMode = 'single' | 'multi';

export interface AlbRequest {
  method: string;
  path: string;
  /** The raw query string as the client sent it, without the `?`. */
  query?: string;
  /** In the order sent; a name may repeat. */
  headers?: Array<[string, string]>;
  body?: Buffer | string;
}

const TARGET_GROUP_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tributary/6d0ecf831eec9f09';
const TEXT_TYPES = /^(text\/[^;]*|application\/(json|javascript|xml))\s*(;|$)/i;
/** The largest answer the load balancer takes from a function. */
export const ALB_MAX_RESPONSE_BYTES = 1_000_000;
const RESULT_KEYS = new Set([
  'statusCode',
  'statusDescription',
  'headers',
  'multiValueHeaders',
  'isBase64Encoded',
  'body',
]);

/** What the load balancer adds to every request it forwards (unless the client sent its own). */
function forwardedHeaders(): Array<[string, string]> {
  return [
    ['host', 'ingest.example.com'],
    ['x-forwarded-for', '198.51.100.10'],
    ['x-forwarded-proto', 'https'],
    ['x-forwarded-port', '443'],
    ['x-amzn-trace-id', 'Root=1-67891233-abcdef012345678912345678'],
  ];
}

function group(pairs: Array<[string, string]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of pairs) (out[k] ??= []).push(v);
  return out;
}

function lastOfEach(grouped: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(grouped).map(([k, vs]) => [k, vs[vs.length - 1]]));
}

function queryPairs(raw: string | undefined): Array<[string, string]> {
  if (!raw) return [];
  return raw
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq === -1 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
    });
}

export function albEvent(req: AlbRequest, mode: AlbMode): ALBEvent {
  const sent = (req.headers ?? []).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
  const names = new Set(sent.map(([k]) => k));
  const headers = group([...forwardedHeaders().filter(([k]) => !names.has(k)), ...sent]);
  const query = group(queryPairs(req.query));
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
  const contentType = headers['content-type']?.at(-1) ?? '';
  const base64 =
    body.length > 0 && (headers['content-encoding'] !== undefined || !TEXT_TYPES.test(contentType));
  const event = {
    requestContext: { elb: { targetGroupArn: TARGET_GROUP_ARN } },
    httpMethod: req.method,
    path: req.path,
    ...(mode === 'multi'
      ? { multiValueQueryStringParameters: query, multiValueHeaders: headers }
      : { queryStringParameters: lastOfEach(query), headers: lastOfEach(headers) }),
    isBase64Encoded: base64,
    body: base64 ? body.toString('base64') : body.toString('utf8'),
  };
  return event;
}

export interface AlbAnswer {
  status: number;
  /** Lower-cased names; every value the function set. */
  headers: Record<string, string[]>;
  body: Buffer;
  json(): Record<string, unknown>;
}

/**
 * Reads a function result as the load balancer would, failing on anything it would refuse or misread,
 * and checks the exchange against openapi.yaml.
 */
export function readAlbResult(req: AlbRequest, mode: AlbMode, result: ALBResult): AlbAnswer {
  const extra = Object.keys(result).filter((k) => !RESULT_KEYS.has(k));
  if (extra.length) throw new Error(`the load balancer refuses a result with ${extra.join(', ')}`);
  if (!Number.isInteger(result.statusCode))
    throw new Error(`statusCode ${String(result.statusCode)} is not an integer`);
  const size = Buffer.byteLength(JSON.stringify(result));
  if (size > ALB_MAX_RESPONSE_BYTES)
    throw new Error(`a ${size}-byte result is over the load balancer's 1 MB`);
  const wanted = mode === 'multi' ? 'multiValueHeaders' : 'headers';
  const other = mode === 'multi' ? 'headers' : 'multiValueHeaders';
  if (!result[wanted])
    throw new Error(`a target group with ${mode}-value headers reads ${wanted}, which is missing`);
  if (result[other]) throw new Error(`${other} in the answer to a ${mode}-value request would be ignored`);
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(result[wanted] as Record<string, unknown>)) {
    const values = Array.isArray(v) ? v : [v];
    if (mode === 'multi' && !Array.isArray(v)) throw new Error(`multiValueHeaders.${k} is not a list`);
    headers[k.toLowerCase()] = values.map(String);
  }
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  checkExchange({
    method: req.method,
    url: req.query ? `${req.path}?${req.query}` : req.path,
    status: result.statusCode,
    headers: Object.fromEntries(Object.entries(headers).map(([k, vs]) => [k, vs.join(', ')])),
    body: body.toString('utf8'),
    base64: false,
  });
  return {
    status: result.statusCode,
    headers,
    body,
    json: () => (body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {}),
  };
}
