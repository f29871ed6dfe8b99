import { useEffect, useRef, useState } from 'preact/hooks';

/** Sign-in with an API key; the key is checked against /v1/me before it is kept (in sessionStorage). */
export function SignIn({
  onSignIn,
  message,
}: {
  onSignIn: (key: string) => Promise<string | undefined>;
  message?: string;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!key.trim()) return setError('Enter an API key.');
    setBusy(true);
    setError(undefined);
    const err = await onSignIn(key.trim());
    setBusy(false);
    if (err) setError(err);
  };

  return (
    <section class="signin">
      <h1>Sign in</h1>
      <p>Use a platform key to manage tenants, or a tenant key to work with streams.</p>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'api-key-error' : 'api-key-help'}
        />
        <p id="api-key-help" class="small muted">
          Kept only in this browser tab (sessionStorage) until you sign out or close the tab.
        </p>
        {error && (
          <p id="api-key-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
