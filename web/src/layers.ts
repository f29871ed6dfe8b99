import type { Layer, StreamSpec } from './types.js';

const LABELS: Record<Layer, string> = { raw: 'Raw', deduped: 'Deduped', entity: 'Entity' };

/**
 * The warehouse layers a stream has: raw always, deduped only with a dedupe key, entity only with
 * an entity key. The API answers 400 to a preview of a layer the stream lacks, so the console
 * offers only these.
 */
export function streamLayers(
  stream: Pick<StreamSpec, 'dedupe' | 'entity'>,
): Array<{ value: Layer; label: string }> {
  const layers: Layer[] = ['raw'];
  if (stream.dedupe) layers.push('deduped');
  if (stream.entity) layers.push('entity');
  return layers.map((value) => ({ value, label: LABELS[value] }));
}
