import type { Layer, Stream } from '../domain/streams/types.js';
import type { PreviewResult, Warehouse } from '../ports.js';

/**
 * Defers building (and importing) the real warehouse until a call needs it, so the ingest hot path
 * of a Lambda never loads snowflake-sdk (esbuild puts it in a chunk of its own).
 */
export class LazyWarehouse<W extends Warehouse = Warehouse> implements Warehouse {
  private loaded?: W;
  private loading?: Promise<W>;

  constructor(private readonly load: () => Promise<W>) {}

  prepare(): Promise<W> {
    if (this.loaded) return Promise.resolve(this.loaded);
    this.loading ??= this.load().then(
      (w) => (this.loaded = w),
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }

  async createStream(stream: Stream): Promise<void> {
    return (await this.prepare()).createStream(stream);
  }
  async planEvolution(from: Stream, to: Stream): Promise<string[]> {
    return (await this.prepare()).planEvolution(from, to);
  }
  async evolveStream(from: Stream, to: Stream): Promise<void> {
    return (await this.prepare()).evolveStream(from, to);
  }
  async preview(stream: Stream, layer: Layer, limit: number): Promise<PreviewResult> {
    return (await this.prepare()).preview(stream, layer, limit);
  }
  async rejections(stream: Stream, limit: number) {
    return (await this.prepare()).rejections(stream, limit);
  }
  async batchRows(stream: Stream, batchId: string): Promise<number> {
    const w = await this.prepare();
    return w.batchRows ? w.batchRows(stream, batchId) : 0;
  }
  async close(): Promise<void> {
    if (this.loaded) await this.loaded.close();
  }
}
