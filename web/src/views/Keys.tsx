import { useState } from 'preact/hooks';
import { ApiError, asApiError, tenantPath } from '../api.js';
import { tenantOf, useSession } from '../context.js';
import { formatTime } from '../format.js';
import { usePoll } from '../poll.js';
import type { ApiKey, CreatedKey, Role, Stream } from '../types.js';
import { ProblemMessage } from '../components/Problem.js';
import { SecretOnce } from '../components/Secret.js';

const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'producer', label: 'Producer: sends records' },
  { value: 'consumer', label: 'Consumer: reads configuration, previews and metrics' },
  { value: 'admin', label: 'Admin: manages everything in the tenant' },
];

/** Tenant admin view: create keys (secret shown once), list them, revoke with confirmation. */
export function Keys() {
  const { api, me } = useSession();
  const tenant = tenantOf(me);
  const keys = usePoll(() => api.get<{ keys: ApiKey[] }>(tenantPath(tenant, 'keys')), 0, [tenant]);
  const [created, setCreated] = useState<CreatedKey | undefined>(undefined);

  if (keys.error?.status === 403) {
    return (
      <section>
        <h1>API keys</h1>
        <ProblemMessage error={keys.error} action="manage keys" />
      </section>
    );
  }
  return (
    <section>
      <h1>API keys</h1>
      {created && (
        <SecretOnce
          label={`Secret for key ${created.name}`}
          secret={created.secret}
          onDone={() => setCreated(undefined)}
        />
      )}
      <CreateKey
        tenant={tenant}
        onCreated={(k) => {
          setCreated(k);
          keys.refresh();
        }}
      />
      <h2>Keys of tenant {tenant}</h2>
      {keys.error && <ProblemMessage error={keys.error} action="manage keys" />}
      {keys.loading && !keys.data && <p>Loading…</p>}
      {keys.data && <KeyTable tenant={tenant} keys={keys.data.keys} onRevoked={keys.refresh} />}
    </section>
  );
}

function CreateKey({ tenant, onCreated }: { tenant: string; onCreated: (k: CreatedKey) => void }) {
  const { api, announce } = useSession();
  const streams = usePoll(() => api.get<{ streams: Stream[] }>(tenantPath(tenant, 'streams')), 0, [tenant]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('producer');
  const [scope, setScope] = useState<'all' | 'some'>('all');
  const [chosen, setChosen] = useState<string[]>([]);
  const [pii, setPii] = useState(false);
  const [error, setError] = useState<ApiError | string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return setError('Give the key a name.');
    if (scope === 'some' && chosen.length === 0)
      return setError('Choose at least one stream, or allow all streams.');
    setBusy(true);
    setError(undefined);
    try {
      const key = await api.post<CreatedKey>(tenantPath(tenant, 'keys'), {
        name: name.trim(),
        role,
        streams: scope === 'all' ? ['*'] : chosen,
        pii,
      });
      announce(`Key ${key.name} created. Copy its secret now; it is shown only once.`);
      setName('');
      setChosen([]);
      setPii(false);
      onCreated(key);
    } catch (err) {
      setError(err instanceof ApiError ? err : String(err));
    } finally {
      setBusy(false);
    }
  };

  const names = streams.data?.streams.map((s) => s.name) ?? [];
  return (
    <form class="card" onSubmit={(e) => void submit(e)} noValidate>
      <h2>Create a key</h2>
      <div class="field">
        <label for="key-name">Key name</label>
        <input id="key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="key-role">Role</label>
        <select id="key-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <fieldset>
        <legend>Streams this key may use</legend>
        <label class="inline">
          <input type="radio" name="scope" checked={scope === 'all'} onChange={() => setScope('all')} /> All
          streams (including future ones)
        </label>
        <label class="inline">
          <input type="radio" name="scope" checked={scope === 'some'} onChange={() => setScope('some')} />{' '}
          Only these streams
        </label>
        {scope === 'some' && (
          <div class="checks">
            {names.length === 0 && <p class="muted">No streams yet.</p>}
            {names.map((n) => (
              <label key={n} class="inline">
                <input
                  type="checkbox"
                  checked={chosen.includes(n)}
                  onChange={(e) =>
                    setChosen(e.currentTarget.checked ? [...chosen, n] : chosen.filter((c) => c !== n))
                  }
                />{' '}
                {n}
              </label>
            ))}
          </div>
        )}
      </fieldset>
      <label class="inline">
        <input type="checkbox" checked={pii} onChange={(e) => setPii(e.currentTarget.checked)} /> May see PII
        fields unmasked
      </label>
      {typeof error === 'string' && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {error instanceof ApiError && <ProblemMessage error={error} action="create keys" />}
      <div class="row">
        <button type="submit" disabled={busy}>
          Create key
        </button>
      </div>
    </form>
  );
}

function KeyTable({ tenant, keys, onRevoked }: { tenant: string; keys: ApiKey[]; onRevoked: () => void }) {
  const { api, me, announce } = useSession();
  const [confirm, setConfirm] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const ownId = me.kind === 'key' ? me.keyId : undefined;

  const revoke = async (k: ApiKey) => {
    try {
      await api.del(tenantPath(tenant, 'keys', k.id));
      setConfirm(undefined);
      announce(`Key ${k.name} revoked.`);
      onRevoked();
    } catch (err) {
      setError(asApiError(err));
    }
  };

  if (keys.length === 0) return <p>No keys.</p>;
  return (
    <>
      {error && <ProblemMessage error={error} action="revoke keys" />}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Id</th>
            <th scope="col">Role</th>
            <th scope="col">Streams</th>
            <th scope="col">PII</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-testid={`key-row-${k.name}`}>
              <td>
                {k.name}
                {k.id === ownId && <span class="small muted"> (this key)</span>}
              </td>
              <td class="mono small">{k.id}</td>
              <td>{k.role}</td>
              <td>{k.streams.includes('*') ? 'all' : k.streams.join(', ')}</td>
              <td>{k.pii ? 'yes' : 'no'}</td>
              <td>{formatTime(k.createdAt)}</td>
              <td>
                {k.revokedAt ? (
                  <span>Revoked {formatTime(k.revokedAt)}</span>
                ) : confirm === k.id ? (
                  <div class="confirm" role="group" aria-label={`Confirm revoking ${k.name}`}>
                    <span>Revoke {k.name}? Clients using it stop working at once.</span>
                    <button type="button" class="danger" autoFocus onClick={() => void revoke(k)}>
                      Confirm revoke
                    </button>
                    <button type="button" class="secondary" onClick={() => setConfirm(undefined)}>
                      Cancel
                    </button>
                  </div>
                ) : (
                  <span>
                    Active{' '}
                    <button
                      type="button"
                      class="danger small"
                      aria-label={`Revoke ${k.name}`}
                      onClick={() => setConfirm(k.id)}
                    >
                      Revoke
                    </button>
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
