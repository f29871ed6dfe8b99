import type { ApiError } from '../../api.js';
import type { DryRun, FieldError, ObjectSchema, Stream, StreamPatch } from '../../types.js';

export interface EvolveState {
  schemaText: string;
  description: string;
  /** The last dry run's verdict, and the draft it was run for. */
  dryRun: { result: DryRun; for: string } | undefined;
  error: ApiError | undefined;
  busy: 'dry' | 'save' | undefined;
}

export type EvolveAction =
  | { type: 'edit'; schemaText?: string; description?: string }
  | { type: 'dryRunStarted' }
  | { type: 'dryRunAnswered'; result: DryRun; for: string }
  | { type: 'dryRunFailed'; error: ApiError }
  | { type: 'saveStarted' }
  | { type: 'saveFailed'; error: ApiError }
  | { type: 'saved' };

export function initialEvolveState(stream: Pick<Stream, 'schema' | 'description'>): EvolveState {
  return {
    schemaText: JSON.stringify(stream.schema, null, 2),
    description: stream.description ?? '',
    dryRun: undefined,
    error: undefined,
    busy: undefined,
  };
}

/** Identifies the draft a dry run was made for: any edit makes the verdict outdated. */
export function draftOf(state: Pick<EvolveState, 'schemaText' | 'description'>): string {
  return `${state.schemaText}\u0000${state.description}`;
}

export function evolveReducer(state: EvolveState, action: EvolveAction): EvolveState {
  switch (action.type) {
    case 'edit': {
      const next = {
        ...state,
        schemaText: action.schemaText ?? state.schemaText,
        description: action.description ?? state.description,
      };
      // An error answered the previous draft.
      return draftOf(next) === draftOf(state) ? next : { ...next, error: undefined };
    }
    case 'dryRunStarted':
      return { ...state, busy: 'dry', error: undefined };
    case 'dryRunAnswered':
      return { ...state, busy: undefined, dryRun: { result: action.result, for: action.for } };
    case 'dryRunFailed':
      return { ...state, busy: undefined, error: action.error, dryRun: undefined };
    case 'saveStarted':
      return { ...state, busy: 'save' };
    case 'saveFailed':
      return { ...state, busy: undefined, error: action.error };
    case 'saved':
      return { ...state, busy: undefined };
  }
}

export interface EvolveStatus {
  /** The dry run was made for exactly the current draft. */
  fresh: boolean;
  /** Save needs a fresh, compatible dry run of a schema that passed the local check. */
  canSave: boolean;
  /** Errors to show next to the schema: the API's, and a fresh dry run's violations. */
  schemaErrors: FieldError[];
}

export function evolveStatus(state: EvolveState, schemaChecked: boolean): EvolveStatus {
  const fresh = state.dryRun?.for === draftOf(state);
  const canSave = !!(fresh && state.dryRun?.result.compatible && schemaChecked && !state.busy);
  const violations =
    fresh && state.dryRun && !state.dryRun.result.compatible ? state.dryRun.result.violations : [];
  return { fresh, canSave, schemaErrors: [...(state.error?.problem.errors ?? []), ...violations] };
}

/** The PATCH body: the schema, and the description only when it changed. */
export function patchBody(
  schema: ObjectSchema | undefined,
  description: string,
  stream: Pick<Stream, 'description'>,
): StreamPatch {
  const patch: StreamPatch = { schema };
  if (description !== (stream.description ?? '')) patch.description = description;
  return patch;
}
