import type { Stream } from '../../api/domain/streams/types.js';

/** A catalog stream (acme/events, version 1, one string field `id`) with `overrides` on top. */
export function makeStream(overrides: Partial<Stream> = {}): Stream {
  return {
    tenant: 'acme',
    name: 'events',
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    revision: 1,
    schema: { type: 'object', properties: { id: { type: 'string' } } },
    piiFields: [],
    clusterBy: [],
    compatibility: 'BACKWARD',
    buffering: { intervalSeconds: 1, sizeMiB: 5 },
    ...overrides,
  };
}
