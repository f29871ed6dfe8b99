import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, asApiError, tenantPath } from '../api.js';
import { tenantOf, useSession } from '../context.js';
import { parseList } from '../format.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../router.js';
import { checkSchemaText } from '../schemaDiff.js';
import type { DryRun, FieldError, Stream, StreamPatch, StreamSpec } from '../types.js';
import { FieldErrors, ProblemMessage } from '../components/Problem.js';
import { ChangeList } from './stream/SchemaVersions.js';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

const TEMPLATE = JSON.stringify(
  {
    type: 'object',
    properties: {
      id: { type: 'string' },
      occurred_at: { type: 'string', format: 'date-time' },
    },
    required: ['id'],
  },
  null,
  2,
);

/** API errors about the schema belong next to the editor; the rest next to the form's buttons. */
function isSchemaPath(path: string): boolean {
  // The API names paths like "schema.properties.x.type", "body.schema..." or "/schema/...".
  return /^\/?(body[./])?schema([./]|$)/.test(path);
}

type Props = { mode: 'create' } | { mode: 'evolve'; stream: string };

export function StreamEditor(props: Props) {
  const { me } = useSession();
  if (me.kind === 'key' && me.role !== 'admin') {
    return (
      <section>
        <h1>{props.mode === 'create' ? 'Create a stream' : 'Evolve schema'}</h1>
        <p class="problem" role="alert">
          Your key (role {me.role}) cannot{' '}
          {props.mode === 'create' ? 'create streams' : 'change stream schemas'}.
        </p>
      </section>
    );
  }
  return props.mode === 'create' ? <CreateStream /> : <EvolveLoader stream={props.stream} />;
}

function SchemaEditor({
  value,
  onInput,
  localError,
  apiErrors,
}: {
  value: string;
  onInput: (v: string) => void;
  localError: string | undefined;
  apiErrors: FieldError[];
}) {
  const described = [
    localError ? 'schema-local-error' : '',
    apiErrors.length ? 'schema-api-errors' : '',
    'schema-help',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div class="schema-editor">
      <label for="schema">Schema (JSON)</label>
      <textarea
        id="schema"
        class="mono"
        rows={16}
        spellcheck={false}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        aria-invalid={localError || apiErrors.length ? 'true' : undefined}
        aria-describedby={described}
      />
      <p id="schema-help" class="small muted">
        A JSON Schema object: <code>type: "object"</code>, <code>properties</code>, optional{' '}
        <code>required</code>. Field names are lower-case identifiers.
      </p>
      <div aria-live="polite">
        {localError && (
          <p id="schema-local-error" class="error">
            {localError}
          </p>
        )}
        {apiErrors.length > 0 && (
          <div id="schema-api-errors" class="error">
            <FieldErrors errors={apiErrors} />
          </div>
        )}
      </div>
    </div>
  );
}

function CreateStream() {
  const { api, me, announce } = useSession();
  const tenant = tenantOf(me);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [schemaText, setSchemaText] = useState(TEMPLATE);
  const [dedupe, setDedupe] = useState('');
  const [entityKey, setEntityKey] = useState('');
  const [orderBy, setOrderBy] = useState('');
  const [deleteField, setDeleteField] = useState('');
  const [pii, setPii] = useState('');
  const [clusterBy, setClusterBy] = useState('');
  const [compatibility, setCompatibility] = useState<'BACKWARD' | 'FULL'>('BACKWARD');
  const [silence, setSilence] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const check = useMemo(() => checkSchemaText(schemaText), [schemaText]);
  const nameError =
    name && !NAME.test(name)
      ? 'Use a lower-case name: a letter, then letters, digits or underscores.'
      : undefined;
  const apiErrors = error?.problem.errors ?? [];

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!check.schema || !NAME.test(name)) {
      announce('Fix the highlighted fields first.');
      return;
    }
    const spec: StreamSpec = { name, schema: check.schema, compatibility };
    if (description.trim()) spec.description = description.trim();
    if (parseList(dedupe).length) spec.dedupe = { key: parseList(dedupe) };
    if (parseList(entityKey).length) {
      spec.entity = { key: parseList(entityKey) };
      if (orderBy.trim()) spec.entity.orderBy = orderBy.trim();
      if (deleteField.trim()) spec.entity.deleteField = deleteField.trim();
    }
    if (parseList(pii).length) spec.piiFields = parseList(pii);
    if (parseList(clusterBy).length) spec.clusterBy = parseList(clusterBy);
    if (silence.trim()) spec.freshness = { maxSilenceMinutes: Number(silence) };
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.post<Stream>(tenantPath(tenant, 'streams'), spec);
      announce(`Stream ${created.name} created.`);
      navigate(href.stream(created.name));
    } catch (err) {
      const failure = asApiError(err);
      setError(failure);
      announce(`The stream was not created: ${failure.message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <p class="breadcrumb">
        <a href={href.streams}>Streams</a> / new
      </p>
      <h1>Create a stream</h1>
      <form onSubmit={(e) => void submit(e)} noValidate class="editor">
        <div class="field">
          <label for="stream-name">Name</label>
          <input
            id="stream-name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            aria-invalid={nameError ? 'true' : undefined}
            aria-describedby="stream-name-help"
          />
          <p id="stream-name-help" class={nameError ? 'error small' : 'small muted'}>
            {nameError ?? 'Lower-case letters, digits and underscores; it names the warehouse tables.'}
          </p>
        </div>
        <div class="field">
          <label for="stream-description">Description</label>
          <input
            id="stream-description"
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </div>
        <SchemaEditor
          value={schemaText}
          onInput={(v) => {
            setSchemaText(v);
            // The API's verdict was about the previous text.
            setError(undefined);
          }}
          localError={check.error}
          apiErrors={apiErrors.filter((x) => isSchemaPath(x.path))}
        />
        <fieldset>
          <legend>Layers and privacy (comma-separated field names)</legend>
          <ListInput id="dedupe-key" label="Dedupe key" value={dedupe} onInput={setDedupe} />
          <ListInput id="entity-key" label="Entity key" value={entityKey} onInput={setEntityKey} />
          <ListInput
            id="entity-order"
            label="Entity order by (one field)"
            value={orderBy}
            onInput={setOrderBy}
          />
          <ListInput
            id="entity-delete"
            label="Entity delete field (boolean)"
            value={deleteField}
            onInput={setDeleteField}
          />
          <ListInput
            id="pii-fields"
            label="PII fields (masked for keys without PII access)"
            value={pii}
            onInput={setPii}
          />
          <ListInput id="cluster-by" label="Cluster by" value={clusterBy} onInput={setClusterBy} />
        </fieldset>
        <fieldset>
          <legend>Evolution and freshness</legend>
          <div class="field">
            <label for="compatibility">Compatibility</label>
            <select
              id="compatibility"
              value={compatibility}
              onChange={(e) => setCompatibility(e.currentTarget.value as 'BACKWARD' | 'FULL')}
            >
              <option value="BACKWARD">BACKWARD (new fields must be optional)</option>
              <option value="FULL">FULL (also no removals)</option>
            </select>
          </div>
          <div class="field">
            <label for="max-silence">Stale after minutes without records (optional)</label>
            <input
              id="max-silence"
              type="number"
              min={1}
              inputMode="numeric"
              value={silence}
              onInput={(e) => setSilence(e.currentTarget.value)}
            />
          </div>
        </fieldset>
        {error && (
          <ProblemMessage
            error={new ApiError({ ...error.problem, errors: apiErrors.filter((x) => !isSchemaPath(x.path)) })}
            action="create streams"
          />
        )}
        <div class="row">
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create stream'}
          </button>
          <a href={href.streams}>Cancel</a>
        </div>
      </form>
    </section>
  );
}

function ListInput({
  id,
  label,
  value,
  onInput,
}: {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
    </div>
  );
}

function EvolveLoader({ stream }: { stream: string }) {
  const { api, me } = useSession();
  const tenant = tenantOf(me);
  const s = usePoll(() => api.get<Stream>(tenantPath(tenant, 'streams', stream)), 0, [tenant, stream]);
  if (s.error) return <ProblemMessage error={s.error} action={`read stream ${stream}`} />;
  if (!s.data) return <p>Loading…</p>;
  return <Evolve tenant={tenant} stream={s.data} />;
}

/** Schema evolution: a dry run must pass for exactly the current text before Save is enabled. */
function Evolve({ tenant, stream }: { tenant: string; stream: Stream }) {
  const { api, announce } = useSession();
  const [schemaText, setSchemaText] = useState(() => JSON.stringify(stream.schema, null, 2));
  const [description, setDescription] = useState(stream.description ?? '');
  const [dryRun, setDryRun] = useState<{ result: DryRun; for: string } | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState<'dry' | 'save' | undefined>(undefined);
  const check = useMemo(() => checkSchemaText(schemaText), [schemaText]);
  const current = `${schemaText}\u0000${description}`;
  const fresh = dryRun?.for === current;
  const canSave = !!(fresh && dryRun?.result.compatible && check.schema && !busy);

  useEffect(() => setError(undefined), [current]);

  const body = () => {
    const patch: StreamPatch = { schema: check.schema };
    if (description !== (stream.description ?? '')) patch.description = description;
    return patch;
  };
  const path = tenantPath(tenant, 'streams', stream.name);

  const runDry = async () => {
    if (!check.schema) return;
    setBusy('dry');
    setError(undefined);
    try {
      const result = await api.patch<DryRun>(`${path}?dryRun=true`, body());
      setDryRun({ result, for: current });
      announce(
        result.compatible
          ? `Dry run: compatible, version ${result.fromVersion} to ${result.toVersion}. You can save.`
          : `Dry run: not compatible, ${result.violations.length} violation(s).`,
      );
    } catch (err) {
      const failure = asApiError(err);
      setError(failure);
      setDryRun(undefined);
      announce(`Dry run failed: ${failure.message}`);
    } finally {
      setBusy(undefined);
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    if (!canSave) return;
    setBusy('save');
    try {
      const updated = await api.patch<Stream>(path, body());
      announce(`Saved: ${updated.name} is now at schema version ${updated.version}.`);
      navigate(href.stream(updated.name));
    } catch (err) {
      const failure = asApiError(err);
      setError(failure);
      announce(`Not saved: ${failure.message}`);
    } finally {
      setBusy(undefined);
    }
  };

  const violations = fresh && dryRun && !dryRun.result.compatible ? dryRun.result.violations : [];
  const apiErrors = [...(error?.problem.errors ?? []), ...violations];

  return (
    <section>
      <p class="breadcrumb">
        <a href={href.streams}>Streams</a> / <a href={href.stream(stream.name)}>{stream.name}</a> / evolve
      </p>
      <h1>
        Evolve schema of <span class="mono">{stream.name}</span>
      </h1>
      <p>
        Current version {stream.version}; compatibility {stream.compatibility ?? 'BACKWARD'}. Run a dry run to
        see the verdict, the changes and the warehouse DDL; Save is enabled once the dry run of the current
        text is compatible.
      </p>
      <form onSubmit={(e) => void save(e)} noValidate class="editor">
        <div class="field">
          <label for="stream-description">Description</label>
          <input
            id="stream-description"
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </div>
        <SchemaEditor
          value={schemaText}
          onInput={setSchemaText}
          localError={check.error}
          apiErrors={apiErrors}
        />
        <div class="row">
          <button type="button" onClick={() => void runDry()} disabled={!check.schema || !!busy}>
            {busy === 'dry' ? 'Running…' : 'Dry run'}
          </button>
          <button type="submit" disabled={!canSave} aria-describedby="save-help">
            {busy === 'save' ? 'Saving…' : 'Save'}
          </button>
          <a href={href.stream(stream.name)}>Cancel</a>
        </div>
        <p id="save-help" class="small muted">
          {canSave
            ? 'The dry run passed for this text.'
            : dryRun && !fresh
              ? 'The schema changed since the last dry run: run it again.'
              : 'Save needs a compatible dry run first.'}
        </p>
        {error && error.status !== 409 && error.status !== 422 && (
          <ProblemMessage error={error} action="change stream schemas" />
        )}
        {error && (error.status === 409 || error.status === 422) && (
          <p class="error" role="alert">
            {error.problem.title ?? 'Rejected'}:{' '}
            {error.problem.detail ?? 'see the errors next to the schema.'}
          </p>
        )}
      </form>
      {dryRun && (
        <section
          aria-labelledby="dry-heading"
          class={`card ${fresh ? '' : 'outdated'}`}
          data-testid="dry-run"
        >
          <h2 id="dry-heading">Dry run{fresh ? '' : ' (outdated)'}</h2>
          <p class={dryRun.result.compatible ? 'verdict ok' : 'verdict bad'} data-testid="verdict">
            {dryRun.result.compatible
              ? `✓ Compatible: version ${dryRun.result.fromVersion} → ${dryRun.result.toVersion}`
              : `✕ Not compatible with ${stream.compatibility ?? 'BACKWARD'}`}
          </p>
          {dryRun.result.violations.length > 0 && (
            <>
              <h3>Violations</h3>
              <FieldErrors errors={dryRun.result.violations} />
            </>
          )}
          <h3>Changes</h3>
          {dryRun.result.changes.length === 0 ? (
            <p>No changes.</p>
          ) : (
            <ChangeList changes={dryRun.result.changes} />
          )}
          <h3>Warehouse DDL</h3>
          {dryRun.result.ddl.length === 0 ? (
            <p>No DDL needed.</p>
          ) : (
            <pre class="code" data-testid="ddl">
              {dryRun.result.ddl.join(';\n') + ';'}
            </pre>
          )}
        </section>
      )}
    </section>
  );
}
