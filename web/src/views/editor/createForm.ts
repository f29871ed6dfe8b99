import { IDENTIFIER_PATTERN } from '../../../../api/domain/identifiers.js';
import type { ApiError } from '../../api.js';
import { parseList } from '../../format.js';
import type { FieldError, ObjectSchema, StreamSpec } from '../../types.js';

export const SCHEMA_TEMPLATE = JSON.stringify(
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

/** What the user typed; lists are comma-separated text until the spec is built. */
export interface CreateFields {
  name: string;
  description: string;
  schemaText: string;
  dedupe: string;
  entityKey: string;
  orderBy: string;
  deleteField: string;
  pii: string;
  clusterBy: string;
  compatibility: 'BACKWARD' | 'FULL';
  silence: string;
}

export interface CreateState {
  fields: CreateFields;
  error: ApiError | undefined;
  busy: boolean;
}

export type CreateAction =
  | { type: 'edit'; fields: Partial<CreateFields> }
  | { type: 'submitted' }
  | { type: 'failed'; error: ApiError }
  | { type: 'created' };

export const initialCreateState: CreateState = {
  fields: {
    name: '',
    description: '',
    schemaText: SCHEMA_TEMPLATE,
    dedupe: '',
    entityKey: '',
    orderBy: '',
    deleteField: '',
    pii: '',
    clusterBy: '',
    compatibility: 'BACKWARD',
    silence: '',
  },
  error: undefined,
  busy: false,
};

export function createReducer(state: CreateState, action: CreateAction): CreateState {
  switch (action.type) {
    case 'edit':
      return {
        ...state,
        fields: { ...state.fields, ...action.fields },
        // The API's verdict was about the previous schema text.
        error: action.fields.schemaText !== undefined ? undefined : state.error,
      };
    case 'submitted':
      return { ...state, busy: true, error: undefined };
    case 'failed':
      return { ...state, busy: false, error: action.error };
    case 'created':
      return { ...state, busy: false };
  }
}

export function nameError(name: string): string | undefined {
  return name && !IDENTIFIER_PATTERN.test(name)
    ? 'Use a lower-case name: a letter, then letters, digits or underscores.'
    : undefined;
}

export function isValidName(name: string): boolean {
  return IDENTIFIER_PATTERN.test(name);
}

/** The create request: blank optional fields are left out so the API applies its defaults. */
export function specFromFields(f: CreateFields, schema: ObjectSchema): StreamSpec {
  const spec: StreamSpec = { name: f.name, schema, compatibility: f.compatibility };
  if (f.description.trim()) spec.description = f.description.trim();
  if (parseList(f.dedupe).length) spec.dedupe = { key: parseList(f.dedupe) };
  if (parseList(f.entityKey).length) {
    spec.entity = { key: parseList(f.entityKey) };
    if (f.orderBy.trim()) spec.entity.orderBy = f.orderBy.trim();
    if (f.deleteField.trim()) spec.entity.deleteField = f.deleteField.trim();
  }
  if (parseList(f.pii).length) spec.piiFields = parseList(f.pii);
  if (parseList(f.clusterBy).length) spec.clusterBy = parseList(f.clusterBy);
  if (f.silence.trim()) spec.freshness = { maxSilenceMinutes: Number(f.silence) };
  return spec;
}

/** API errors about the schema belong next to the editor; the rest next to the form's buttons. */
export function isSchemaPath(path: string): boolean {
  // The API names paths like "schema.properties.x.type", "body.schema..." or "/schema/...".
  return /^\/?(body[./])?schema([./]|$)/.test(path);
}

export function splitErrors(errors: FieldError[]): { schema: FieldError[]; other: FieldError[] } {
  return {
    schema: errors.filter((x) => isSchemaPath(x.path)),
    other: errors.filter((x) => !isSchemaPath(x.path)),
  };
}
