import { useMemo, useReducer } from 'preact/hooks';
import { asApiError, tenantPath } from '../../api.js';
import { ProblemMessage } from '../../components/Problem.js';
import { tenantOf, useSession } from '../../context.js';
import { usePoll } from '../../poll.js';
import { href, navigate } from '../../router.js';
import { checkSchemaText } from '../../schemaDiff.js';
import type { DryRun, Stream } from '../../types.js';
import { DryRunReport } from './DryRunReport.js';
import { draftOf, evolveReducer, evolveStatus, initialEvolveState, patchBody } from './evolveForm.js';
import { SchemaEditor } from './SchemaEditor.js';

export function EvolveLoader({ stream }: { stream: string }) {
  const { api, me } = useSession();
  const tenant = tenantOf(me);
  const s = usePoll(() => api.get<Stream>(tenantPath(tenant, 'streams', stream)), 0, [tenant, stream]);
  if (s.error) return <ProblemMessage error={s.error} action={`read stream ${stream}`} />;
  if (!s.data) return <p>Loading…</p>;
  return <EvolveSchema tenant={tenant} stream={s.data} />;
}

/** Schema evolution: a dry run must pass for exactly the current text before Save is enabled. */
function EvolveSchema({ tenant, stream }: { tenant: string; stream: Stream }) {
  const { api, announce } = useSession();
  const [state, dispatch] = useReducer(evolveReducer, stream, initialEvolveState);
  const { schemaText, description, dryRun, error, busy } = state;
  const check = useMemo(() => checkSchemaText(schemaText), [schemaText]);
  const { fresh, canSave, schemaErrors } = evolveStatus(state, !!check.schema);
  const path = tenantPath(tenant, 'streams', stream.name);

  const runDry = async () => {
    if (!check.schema) return;
    const draft = draftOf(state);
    dispatch({ type: 'dryRunStarted' });
    try {
      const result = await api.patch<DryRun>(
        `${path}?dryRun=true`,
        patchBody(check.schema, description, stream),
      );
      dispatch({ type: 'dryRunAnswered', result, for: draft });
      announce(
        result.compatible
          ? `Dry run: compatible, version ${result.fromVersion} to ${result.toVersion}. You can save.`
          : `Dry run: not compatible, ${result.violations.length} violation(s).`,
      );
    } catch (err) {
      const failure = asApiError(err);
      dispatch({ type: 'dryRunFailed', error: failure });
      announce(`Dry run failed: ${failure.message}`);
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    if (!canSave) return;
    dispatch({ type: 'saveStarted' });
    try {
      const updated = await api.patch<Stream>(path, patchBody(check.schema, description, stream));
      dispatch({ type: 'saved' });
      announce(`Saved: ${updated.name} is now at schema version ${updated.version}.`);
      navigate(href.stream(updated.name));
    } catch (err) {
      const failure = asApiError(err);
      dispatch({ type: 'saveFailed', error: failure });
      announce(`Not saved: ${failure.message}`);
    }
  };

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
            onInput={(e) => dispatch({ type: 'edit', description: e.currentTarget.value })}
          />
        </div>
        <SchemaEditor
          value={schemaText}
          onInput={(v) => dispatch({ type: 'edit', schemaText: v })}
          localError={check.error}
          apiErrors={schemaErrors}
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
      {dryRun && <DryRunReport result={dryRun.result} fresh={fresh} stream={stream} />}
    </section>
  );
}
