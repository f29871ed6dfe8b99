import { useMemo, useReducer } from 'preact/hooks';
import { ApiError, asApiError, tenantPath } from '../../api.js';
import { ProblemMessage } from '../../components/Problem.js';
import { tenantOf, useSession } from '../../context.js';
import { href, navigate } from '../../router.js';
import { checkSchemaText } from '../../schemaDiff.js';
import type { Stream } from '../../types.js';
import {
  createReducer,
  initialCreateState,
  isValidName,
  nameError,
  specFromFields,
  splitErrors,
  type CreateFields,
} from './createForm.js';
import { SchemaEditor } from './SchemaEditor.js';

export function CreateStream() {
  const { api, me, announce } = useSession();
  const tenant = tenantOf(me);
  const [state, dispatch] = useReducer(createReducer, initialCreateState);
  const { fields, error, busy } = state;
  const edit = (patch: Partial<CreateFields>) => dispatch({ type: 'edit', fields: patch });
  const check = useMemo(() => checkSchemaText(fields.schemaText), [fields.schemaText]);
  const badName = nameError(fields.name);
  const apiErrors = splitErrors(error?.problem.errors ?? []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!check.schema || !isValidName(fields.name)) {
      announce('Fix the highlighted fields first.');
      return;
    }
    const spec = specFromFields(fields, check.schema);
    dispatch({ type: 'submitted' });
    try {
      const created = await api.post<Stream>(tenantPath(tenant, 'streams'), spec);
      dispatch({ type: 'created' });
      announce(`Stream ${created.name} created.`);
      navigate(href.stream(created.name));
    } catch (err) {
      const failure = asApiError(err);
      dispatch({ type: 'failed', error: failure });
      announce(`The stream was not created: ${failure.message}`);
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
            value={fields.name}
            onInput={(e) => edit({ name: e.currentTarget.value })}
            aria-invalid={badName ? 'true' : undefined}
            aria-describedby="stream-name-help"
          />
          <p id="stream-name-help" class={badName ? 'error small' : 'small muted'}>
            {badName ?? 'Lower-case letters, digits and underscores; it names the warehouse tables.'}
          </p>
        </div>
        <div class="field">
          <label for="stream-description">Description</label>
          <input
            id="stream-description"
            value={fields.description}
            onInput={(e) => edit({ description: e.currentTarget.value })}
          />
        </div>
        <SchemaEditor
          value={fields.schemaText}
          onInput={(v) => edit({ schemaText: v })}
          localError={check.error}
          apiErrors={apiErrors.schema}
        />
        <fieldset>
          <legend>Layers and privacy (comma-separated field names)</legend>
          <ListInput
            id="dedupe-key"
            label="Dedupe key"
            value={fields.dedupe}
            onInput={(v) => edit({ dedupe: v })}
          />
          <ListInput
            id="entity-key"
            label="Entity key"
            value={fields.entityKey}
            onInput={(v) => edit({ entityKey: v })}
          />
          <ListInput
            id="entity-order"
            label="Entity order by (one field)"
            value={fields.orderBy}
            onInput={(v) => edit({ orderBy: v })}
          />
          <ListInput
            id="entity-delete"
            label="Entity delete field (boolean)"
            value={fields.deleteField}
            onInput={(v) => edit({ deleteField: v })}
          />
          <ListInput
            id="pii-fields"
            label="PII fields (masked for keys without PII access)"
            value={fields.pii}
            onInput={(v) => edit({ pii: v })}
          />
          <ListInput
            id="cluster-by"
            label="Cluster by"
            value={fields.clusterBy}
            onInput={(v) => edit({ clusterBy: v })}
          />
        </fieldset>
        <fieldset>
          <legend>Evolution and freshness</legend>
          <div class="field">
            <label for="compatibility">Compatibility</label>
            <select
              id="compatibility"
              value={fields.compatibility}
              onChange={(e) =>
                edit({ compatibility: e.currentTarget.value as CreateFields['compatibility'] })
              }
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
              value={fields.silence}
              onInput={(e) => edit({ silence: e.currentTarget.value })}
            />
          </div>
        </fieldset>
        {error && (
          <ProblemMessage
            error={new ApiError({ ...error.problem, errors: apiErrors.other })}
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
