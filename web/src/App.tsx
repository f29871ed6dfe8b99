import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, createApi } from './api.js';
import { SessionContext, type Session } from './context.js';
import { href, navigate, useRoute, type Route } from './router.js';
import { clearKey, loadKey, saveKey } from './session.js';
import type { Me } from './types.js';
import { SignIn } from './views/SignIn.js';
import { Tenants } from './views/Tenants.js';
import { Streams } from './views/Streams.js';
import { StreamDetail } from './views/StreamDetail.js';
import { StreamEditor } from './views/StreamEditor.js';
import { Keys } from './views/Keys.js';
import { Alerts } from './views/Alerts.js';
import { ProducerHome } from './views/ProducerHome.js';

type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; message?: string }
  | { state: 'signed-in'; key: string; me: Me };

export function App() {
  const [auth, setAuth] = useState<Auth>(() => (loadKey() ? { state: 'checking' } : { state: 'signed-out' }));
  const [status, setStatus] = useState('');
  const route = useRoute();

  // After in-app navigation, move focus to the new page so keyboard and screen-reader users start there.
  const firstRoute = useRef(true);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: false });
  }, [route]);

  // Status messages are announced, then cleared so the toast does not cover the page.
  useEffect(() => {
    if (!status) return;
    const timer = setTimeout(() => setStatus(''), 8000);
    return () => clearTimeout(timer);
  }, [status]);

  const signOut = useCallback((message?: string) => {
    clearKey();
    setAuth({ state: 'signed-out', message });
  }, []);

  const signIn = useCallback(async (key: string): Promise<string | undefined> => {
    try {
      const me = await createApi(key).get<Me>('/v1/me');
      saveKey(key);
      setAuth({ state: 'signed-in', key, me });
      setStatus(
        me.kind === 'platform'
          ? 'Signed in with the platform key.'
          : `Signed in to tenant ${me.tenant} as ${me.role}.`,
      );
      return undefined;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401)
        return 'That key was not accepted (it is unknown or revoked).';
      return e instanceof ApiError ? e.message : String(e);
    }
  }, []);

  // A key kept from earlier in this tab is checked again before anything is shown.
  useEffect(() => {
    if (auth.state !== 'checking') return;
    const key = loadKey();
    if (!key) return setAuth({ state: 'signed-out' });
    void signIn(key).then((err) => {
      if (err) signOut(err);
    });
  }, [auth.state, signIn, signOut]);

  const session = useMemo<Session | null>(() => {
    if (auth.state !== 'signed-in') return null;
    return {
      me: auth.me,
      api: createApi(auth.key, () =>
        signOut('Your key was rejected (401): it may have been revoked. Sign in again.'),
      ),
      announce: (m: string) => {
        // Clearing first makes a repeated message be read again.
        setStatus('');
        setTimeout(() => setStatus(m), 50);
      },
    };
  }, [auth, signOut]);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Tributary</span>
        {session && <Nav me={session.me} route={route} />}
        {session && (
          <div class="identity">
            <span>{describe(session.me)}</span>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                // The next key may see other things: start it on its home page.
                navigate(href.home);
                signOut('Signed out.');
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {auth.state === 'checking' && <p>Checking your key…</p>}
        {auth.state === 'signed-out' && <SignIn onSignIn={signIn} message={auth.message} />}
        {session && (
          <SessionContext.Provider value={session}>
            <RouteView route={route} me={session.me} />
          </SessionContext.Provider>
        )}
      </main>
      <div class="status" role="status" aria-live="polite" data-testid="status">
        {status}
      </div>
    </>
  );
}

function describe(me: Me): string {
  if (me.kind === 'platform') return 'Platform key';
  return `${me.tenant} · ${me.name} (${me.role})`;
}

function Nav({ me, route }: { me: Me; route: Route }) {
  const links: Array<[string, string, boolean]> =
    me.kind === 'platform'
      ? [['Tenants', href.tenants, route.view === 'tenants' || route.view === 'home']]
      : me.role === 'producer'
        ? [['Sending records', href.home, route.view === 'home']]
        : [
            ['Streams', href.streams, route.view.startsWith('stream') || route.view === 'home'],
            ['Alerts', href.alerts, route.view === 'alerts'],
            ...(me.role === 'admin'
              ? ([['Keys', href.keys, route.view === 'keys']] as Array<[string, string, boolean]>)
              : []),
          ];
  return (
    <nav aria-label="Main">
      <ul>
        {links.map(([label, to, current]) => (
          <li key={to}>
            <a href={to} aria-current={current ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function RouteView({ route, me }: { route: Route; me: Me }) {
  if (me.kind === 'platform') {
    if (route.view === 'home' || route.view === 'tenants') return <Tenants />;
    return (
      <Message title="Not available">
        The platform key manages tenants only. Sign in with a tenant key to see streams.
      </Message>
    );
  }
  if (route.view === 'tenants')
    return <Message title="Tenants">Only the platform key manages tenants.</Message>;
  switch (route.view) {
    case 'home':
      return me.role === 'producer' ? <ProducerHome /> : <Streams />;
    case 'streams':
      return <Streams />;
    case 'stream-new':
      return <StreamEditor mode="create" />;
    case 'stream':
      return <StreamDetail key={route.stream} stream={route.stream} />;
    case 'stream-evolve':
      return <StreamEditor key={route.stream} mode="evolve" stream={route.stream} />;
    case 'keys':
      return <Keys />;
    case 'alerts':
      return <Alerts />;
    default:
      return <Message title="Page not found">There is no page at “{route.path}”.</Message>;
  }
}

function Message({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section>
      <h1>{title}</h1>
      <p>{children}</p>
    </section>
  );
}
