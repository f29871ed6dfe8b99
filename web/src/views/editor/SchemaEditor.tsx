import { FieldErrors } from '../../components/Problem.js';
import type { FieldError } from '../../types.js';

/** The schema textarea both forms share, with the local check's error and the API's errors beside it. */
export function SchemaEditor({
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
