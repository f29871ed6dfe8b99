/** The few API calls the benchmark makes besides the load itself. */
export class TributaryClient {
  constructor(
    readonly url: string,
    private readonly tenant: string,
    private readonly stream: string,
    private key = '',
  ) {}

  private async call(method: string, path: string, body?: string, key = this.key): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  }

  private async json<T>(method: string, path: string, body?: string, key?: string): Promise<T> {
    const res = await this.call(method, path, body, key);
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Creates the tenant and stream; returns a producer key (the client keeps the tenant admin key for reads). */
  async setUp(adminKey: string, schema: unknown): Promise<string> {
    const t = await this.json<{ key: { secret: string } }>(
      'POST',
      '/v1/tenants',
      JSON.stringify({ name: this.tenant }),
      adminKey,
    );
    this.key = t.key.secret;
    await this.json(
      'POST',
      `/v1/tenants/${this.tenant}/streams`,
      JSON.stringify({ name: this.stream, schema }),
    );
    const producer = await this.json<{ secret: string }>(
      'POST',
      `/v1/tenants/${this.tenant}/keys`,
      JSON.stringify({ name: 'bench-producer', role: 'producer', streams: [this.stream] }),
    );
    return producer.secret;
  }

  async ingest(body: string): Promise<{ status: number; batchId?: string }> {
    const res = await this.call('POST', `/v1/tenants/${this.tenant}/streams/${this.stream}/records`, body);
    if (res.status !== 200) {
      await res.body?.cancel();
      return { status: res.status };
    }
    return { status: 200, batchId: ((await res.json()) as { batchId: string }).batchId };
  }

  async receipt(batchId: string): Promise<{ state: string; receivedAt: string; loadedAt?: string }> {
    return this.json('GET', `/v1/tenants/${this.tenant}/streams/${this.stream}/batches/${batchId}`);
  }

  async rawTotal(): Promise<number> {
    return (
      await this.json<{ total: number }>(
        'GET',
        `/v1/tenants/${this.tenant}/streams/${this.stream}/records?layer=raw&limit=1`,
      )
    ).total;
  }

  async metrics(): Promise<{ pendingRecords: number; lagSeconds: number }> {
    return this.json('GET', `/v1/tenants/${this.tenant}/streams/${this.stream}/metrics?minutes=5`);
  }
}
