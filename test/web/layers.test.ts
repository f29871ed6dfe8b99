import { describe, expect, it } from 'vitest';
import { streamLayers } from '../../web/src/layers.js';

const values = (s: Parameters<typeof streamLayers>[0]) => streamLayers(s).map((l) => l.value);

describe('streamLayers', () => {
  it('offers raw only when the stream has neither a dedupe nor an entity key', () => {
    expect(streamLayers({})).toEqual([{ value: 'raw', label: 'Raw' }]);
  });

  it('adds deduped with a dedupe key and entity with an entity key', () => {
    expect(values({ dedupe: { key: ['id'] } })).toEqual(['raw', 'deduped']);
    expect(values({ entity: { key: ['id'] } })).toEqual(['raw', 'entity']);
    expect(values({ dedupe: { key: ['id'] }, entity: { key: ['id'], orderBy: 'at' } })).toEqual([
      'raw',
      'deduped',
      'entity',
    ]);
  });
});
