import type { Stream } from './types.js';

/** The API view of a stream: everything but catalog bookkeeping. */
export function presentStream(s: Stream) {
  const { revision: _revision, tenant: _tenant, ...rest } = s;
  return rest;
}
