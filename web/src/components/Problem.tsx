import type { ApiError } from '../api.js';
import { useSession } from '../context.js';
import type { FieldError } from '../types.js';

/** What the signed-in key is, for messages like "Your key (role consumer) cannot manage keys". */
function whoAmI(me: ReturnType<typeof useSession>['me']): string {
  return me.kind === 'platform' ? 'Your platform key' : `Your key (role ${me.role})`;
}

/**
 * Explains a failed call in terms of what the user tried to do (`action`, e.g. "manage keys").
 * 403 and 404 get plain-language messages; other problems show the API's title and detail.
 */
export function ProblemMessage({ error, action }: { error: ApiError; action: string }) {
  const { me } = useSession();
  let text: string;
  if (error.status === 403) text = `${whoAmI(me)} cannot ${action}.`;
  else if (error.status === 404)
    text = `Not found: it does not exist or is outside your key's tenant or streams.`;
  else if (error.status === 0) text = error.problem.detail ?? 'Network error.';
  else
    text = `${error.problem.title ?? 'Error'} (${error.status})${error.problem.detail ? `: ${error.problem.detail}` : ''}`;
  return (
    <div class="problem" role="alert">
      <p>{text}</p>
      {error.problem.errors && error.problem.errors.length > 0 && (
        <FieldErrors errors={error.problem.errors} />
      )}
      {error.problem.requestId && <p class="muted small">Request id: {error.problem.requestId}</p>}
    </div>
  );
}

export function FieldErrors({ errors, id }: { errors: FieldError[]; id?: string }) {
  return (
    <ul class="field-errors" id={id}>
      {errors.map((e, i) => (
        <li key={i}>
          <code>{e.path || '/'}</code> {e.message}
        </li>
      ))}
    </ul>
  );
}
