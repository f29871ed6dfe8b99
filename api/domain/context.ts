import type { Principal } from './keys/types.js';
import type { Services } from '../services.js';

/** What every domain verb receives: who is asking, with which services, for which request. */
export interface Ctx {
  services: Services;
  principal: Principal | undefined;
  requestId: string;
}

export interface VerbArgs<I> {
  ctx: Ctx;
  input: I;
}
