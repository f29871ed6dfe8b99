import { useState } from 'preact/hooks';
import { IDENTIFIER_PATTERN } from '../../../api/domain/identifiers.js';
import { ApiError } from '../api.js';
import { useSession } from '../context.js';
import { formatTime } from '../format.js';
import { usePoll } from '../poll.js';
import type { CreatedTenant, Tenant } from '../types.js';
import { ProblemMessage } from '../components/Problem.js';
import { SecretOnce } from '../components/Secret.js';

/** Platform view: list tenants and create one (its first admin key is shown once). */
export function Tenants() {
  const { api, announce } = useSession();
  const list = usePoll(() => api.get<{ tenants: Tenant[] }>('/v1/tenants'), 0, []);
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError | string | undefined>(undefined);
  const [created, setCreated] = useState<CreatedTenant | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!IDENTIFIER_PATTERN.test(name)) {
      setError('Use a lower-case name: a letter, then letters, digits or underscores (up to 63).');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const t = await api.post<CreatedTenant>('/v1/tenants', { name });
      setCreated(t);
      setName('');
      announce(`Tenant ${t.name} created. Copy its admin key now.`);
      list.refresh();
    } catch (err) {
      setError(err instanceof ApiError ? err : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Tenants</h1>
      {created && (
        <SecretOnce
          label={`Admin key for tenant ${created.name}`}
          secret={created.key.secret}
          onDone={() => setCreated(undefined)}
        />
      )}
      <form class="card" onSubmit={(e) => void submit(e)} noValidate>
        <h2>Create a tenant</h2>
        <label for="tenant-name">Tenant name</label>
        <div class="row">
          <input
            id="tenant-name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            aria-describedby="tenant-name-help"
            aria-invalid={typeof error === 'string' ? 'true' : undefined}
          />
          <button type="submit" disabled={busy}>
            Create tenant
          </button>
        </div>
        <p id="tenant-name-help" class="small muted">
          Lower-case letters, digits and underscores, starting with a letter.
        </p>
        {typeof error === 'string' && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {error instanceof ApiError && <ProblemMessage error={error} action="create tenants" />}
      </form>
      <h2>All tenants</h2>
      {list.error && <ProblemMessage error={list.error} action="list tenants" />}
      {list.data && list.data.tenants.length === 0 && <p>No tenants yet.</p>}
      {list.data && list.data.tenants.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.tenants.map((t) => (
              <tr key={t.name}>
                <td>{t.name}</td>
                <td>{formatTime(t.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.loading && !list.data && <p>Loading…</p>}
    </section>
  );
}
