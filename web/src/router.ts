import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'home' }
  | { view: 'tenants' }
  | { view: 'streams' }
  | { view: 'stream-new' }
  | { view: 'stream'; stream: string }
  | { view: 'stream-evolve'; stream: string }
  | { view: 'keys' }
  | { view: 'alerts' }
  | { view: 'not-found'; path: string };

/** Hash routes keep the console a static bundle: the server needs no fallback route. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { view: 'home' };
  const [head, name, sub] = parts;
  if (head === 'tenants' && parts.length === 1) return { view: 'tenants' };
  if (head === 'keys' && parts.length === 1) return { view: 'keys' };
  if (head === 'alerts' && parts.length === 1) return { view: 'alerts' };
  if (head === 'streams') {
    if (parts.length === 1) return { view: 'streams' };
    if (name === 'new' && parts.length === 2) return { view: 'stream-new' };
    if (name && parts.length === 2) return { view: 'stream', stream: name };
    if (name && sub === 'evolve' && parts.length === 3) return { view: 'stream-evolve', stream: name };
  }
  return { view: 'not-found', path };
}

export const href = {
  home: '#/',
  tenants: '#/tenants',
  streams: '#/streams',
  newStream: '#/streams/new',
  stream: (s: string) => `#/streams/${encodeURIComponent(s)}`,
  evolve: (s: string) => `#/streams/${encodeURIComponent(s)}/evolve`,
  keys: '#/keys',
  alerts: '#/alerts',
};

export function navigate(to: string): void {
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
