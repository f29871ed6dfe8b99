import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api.js';
import type { Me } from './types.js';

export interface Session {
  api: Api;
  me: Me;
  /** Puts a message in the page's polite live region, for screen readers and sighted users alike. */
  announce: (message: string) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in session');
  return session;
}

/** The tenant a key belongs to; views under a tenant are only routed for tenant keys. */
export function tenantOf(me: Me): string {
  if (me.kind !== 'key') throw new Error('not a tenant key');
  return me.tenant;
}
