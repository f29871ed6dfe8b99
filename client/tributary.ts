import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { deliver, type RetryInfo } from './deliver.js';
import { NDJSON } from './encode.js';
import { TributaryError } from './errors.js';
import { Http, type Query, type TributaryOptions } from './http.js';
import { Producer } from './producer.js';
import type { ProducerOptions } from './producer-types.js';
import { sleep, type RetryPolicy } from './retry.js';
import type {
  ApiKey,
  BatchReceipt,
  CreateKeyBody,
  CreateKeyResponse,
  CreateTenantResponse,
  DryRunResponse,
  IngestResult,
  Layer,
  ListRecordsResponse,
  ListRejectionsResponse,
  ListVersionsResponse,
  MeResponse,
  Stream,
  StreamMetricsResponse,
  StreamPatch,
  StreamSpec,
  Tenant,
} from './types.js';

const gzip = promisify(gzipCb);
const seg = encodeURIComponent;
const RECEIPT_STATES: BatchReceipt['state'][] = ['buffered', 'delivered', 'loaded'];

export interface SendBatchOptions {
  tenant: string;
  stream: string;
  /** NDJSON (the default content type) or a JSON array / {"records": [...]} with contentType application/json. */
  body: string | Uint8Array;
  contentType?: string;
  /** Required: it is what makes the retries safe. 1-128 of A-Z a-z 0-9 . _ : - */
  idempotencyKey: string;
  /** Gzip the body (once: every retry sends the same bytes). */
  gzip?: boolean;
  /** All or nothing: one invalid record refuses the batch (422, nothing stored). */
  atomic?: boolean;
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  retry?: RetryPolicy;
  /** Stop retrying after this long and throw the last error. Default: retry until `signal` aborts. */
  timeoutMs?: number;
}

/**
 * The Tributary API: control plane and reads (typed from the API's own definitions), single batches with
 * retries, and producers that batch, retry and spool. Every non-2xx answer throws TributaryError.
 */
export class Tributary {
  private readonly http: Http;

  constructor(o: TributaryOptions) {
    this.http = new Http(o);
  }

  get url(): string {
    return this.http.base;
  }

  /** Any API call; a 2xx answer's JSON body (undefined when empty), else TributaryError. */
  request<T>(
    method: string,
    path: string,
    o?: { body?: unknown; query?: Query; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<T> {
    return this.http.request<T>(method, path, o);
  }

  me(): Promise<MeResponse> {
    return this.request('GET', '/v1/me');
  }

  readonly tenants = {
    list: async (): Promise<Tenant[]> =>
      (await this.request<{ tenants: Tenant[] }>('GET', '/v1/tenants')).tenants,
    /** Platform admin key only; the answer holds the tenant's first admin key (shown once). */
    create: (name: string): Promise<CreateTenantResponse> =>
      this.request('POST', '/v1/tenants', { body: { name } }),
  };

  readonly streams = {
    list: async (tenant: string): Promise<Stream[]> =>
      (await this.request<{ streams: Stream[] }>('GET', `/v1/tenants/${seg(tenant)}/streams`)).streams,
    get: (tenant: string, name: string): Promise<Stream> =>
      this.request('GET', `/v1/tenants/${seg(tenant)}/streams/${seg(name)}`),
    create: (tenant: string, spec: StreamSpec): Promise<Stream> =>
      this.request('POST', `/v1/tenants/${seg(tenant)}/streams`, { body: spec }),
    /** With dryRun, nothing changes: the answer is the compatibility verdict, the changes and the DDL. */
    update: (
      tenant: string,
      name: string,
      patch: StreamPatch,
      o: { dryRun?: boolean } = {},
    ): Promise<Stream | DryRunResponse> =>
      this.request('PATCH', `/v1/tenants/${seg(tenant)}/streams/${seg(name)}`, {
        body: patch,
        query: o.dryRun ? { dryRun: 'true' } : undefined,
      }),
    delete: async (tenant: string, name: string): Promise<void> => {
      await this.request('DELETE', `/v1/tenants/${seg(tenant)}/streams/${seg(name)}`);
    },
    versions: async (tenant: string, name: string): Promise<ListVersionsResponse['versions']> =>
      (
        await this.request<ListVersionsResponse>(
          'GET',
          `/v1/tenants/${seg(tenant)}/streams/${seg(name)}/versions`,
        )
      ).versions,
    metrics: (tenant: string, name: string, o: { minutes?: number } = {}): Promise<StreamMetricsResponse> =>
      this.request('GET', `/v1/tenants/${seg(tenant)}/streams/${seg(name)}/metrics`, {
        query: { minutes: o.minutes },
      }),
  };

  readonly keys = {
    /** The answer holds the secret, shown this once. */
    create: (tenant: string, body: CreateKeyBody): Promise<CreateKeyResponse> =>
      this.request('POST', `/v1/tenants/${seg(tenant)}/keys`, { body }),
    list: async (tenant: string): Promise<ApiKey[]> =>
      (await this.request<{ keys: ApiKey[] }>('GET', `/v1/tenants/${seg(tenant)}/keys`)).keys,
    revoke: async (tenant: string, id: string): Promise<void> => {
      await this.request('DELETE', `/v1/tenants/${seg(tenant)}/keys/${seg(id)}`);
    },
  };

  readonly records = {
    /** A preview of a layer, newest first, with the layer's total row count. */
    list: (
      tenant: string,
      stream: string,
      o: { layer?: Layer; limit?: number } = {},
    ): Promise<ListRecordsResponse> =>
      this.request('GET', `/v1/tenants/${seg(tenant)}/streams/${seg(stream)}/records`, {
        query: { layer: o.layer, limit: o.limit },
      }),
  };

  readonly rejections = {
    list: (tenant: string, stream: string, o: { limit?: number } = {}): Promise<ListRejectionsResponse> =>
      this.request('GET', `/v1/tenants/${seg(tenant)}/streams/${seg(stream)}/rejections`, {
        query: { limit: o.limit },
      }),
  };

  readonly receipts = {
    get: (tenant: string, stream: string, batchId: string): Promise<BatchReceipt> =>
      this.request('GET', `/v1/tenants/${seg(tenant)}/streams/${seg(stream)}/batches/${seg(batchId)}`),
    /**
     * Polls until the batch reaches `state` (default loaded; delivered also accepts loaded). Throws
     * TributaryError with code `timeout` after timeoutMs (default 60 s).
     */
    wait: async (
      tenant: string,
      stream: string,
      batchId: string,
      o: { state?: 'delivered' | 'loaded'; timeoutMs?: number; signal?: AbortSignal } = {},
    ): Promise<BatchReceipt> => {
      const want = RECEIPT_STATES.indexOf(o.state ?? 'loaded');
      const end = Date.now() + (o.timeoutMs ?? 60_000);
      for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
        const receipt = await this.receipts.get(tenant, stream, batchId);
        if (RECEIPT_STATES.indexOf(receipt.state) >= want) return receipt;
        if (Date.now() + pause > end) {
          throw new TributaryError({
            status: 0,
            title: 'Timeout',
            code: 'timeout',
            detail: `batch ${batchId} is ${receipt.state}, not ${o.state ?? 'loaded'}, after ${o.timeoutMs ?? 60_000} ms`,
            body: receipt,
          });
        }
        await sleep(pause, o.signal);
      }
    },
  };

  /**
   * One batch, retried as a producer retries it (network errors, 408, 429, 502-504, 409 in progress;
   * full-jitter backoff honouring Retry-After), always with `idempotencyKey`. Resolves with the API's
   * answer, 422 (nothing accepted) included; throws TributaryError for any other answer.
   */
  async sendBatch(o: SendBatchOptions): Promise<IngestResult> {
    const raw = typeof o.body === 'string' ? Buffer.from(o.body, 'utf8') : o.body;
    const body = o.gzip ? await gzip(raw) : raw;
    const started = Date.now();
    return deliver(
      this.http,
      {
        tenant: o.tenant,
        stream: o.stream,
        idempotencyKey: o.idempotencyKey,
        body,
        contentType: o.contentType ?? NDJSON,
        gzip: o.gzip === true,
        atomic: o.atomic,
      },
      {
        policy: o.retry,
        signal: o.signal,
        onRetry: o.onRetry,
        giveUp: o.timeoutMs === undefined ? undefined : () => Date.now() - started >= o.timeoutMs!,
      },
    );
  }

  /** A batching, retrying, spooling producer for one stream. */
  producer(o: ProducerOptions): Producer {
    return new Producer(this.http, o);
  }
}
