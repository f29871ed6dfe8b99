import { InvalidInputError, type FieldError } from '../errors.js';
import { columnTypeOf, nonNullTypes } from '../schema/columns.js';
import { parseObjectSchema } from '../schema/index.js';
import type { ObjectSchema } from '../schema/types.js';
import type { CdcSpec, StreamDefaults, StreamSpec } from './types.js';

/** What a client may send; defaults fill the rest. */
export interface StreamSpecInput {
  description?: string;
  schema: unknown;
  dedupe?: { key: string[] };
  entity?: { key: string[]; orderBy?: string; deleteField?: string };
  piiFields?: string[];
  clusterBy?: string[];
  compatibility?: 'BACKWARD' | 'FULL';
  freshness?: { maxSilenceMinutes: number; maxLoadDelayMinutes?: number };
  /** Each hint is optional (as in Firehose); an omitted one takes the server default. */
  buffering?: { intervalSeconds?: number; sizeMiB?: number };
  cdc?: CdcSpec;
}

export function normalizeSpec(input: StreamSpecInput, defaults: StreamDefaults): StreamSpec {
  const schema = parseObjectSchema(input.schema);
  const { dedupe, entity } = input.cdc ? cdcKeys(input) : input;
  const spec: StreamSpec = {
    ...(input.description !== undefined ? { description: input.description } : {}),
    schema,
    ...(dedupe ? { dedupe } : {}),
    ...(entity ? { entity } : {}),
    piiFields: input.piiFields ?? [],
    clusterBy: input.clusterBy ?? [],
    compatibility: input.compatibility ?? 'BACKWARD',
    ...(input.freshness ? { freshness: input.freshness } : {}),
    buffering: {
      intervalSeconds: input.buffering?.intervalSeconds ?? defaults.buffering.intervalSeconds,
      sizeMiB: input.buffering?.sizeMiB ?? defaults.buffering.sizeMiB,
    },
    ...(input.cdc ? { cdc: input.cdc } : {}),
  };
  checkReferences(spec);
  return spec;
}

/**
 * A change stream always has both layers, keyed on the source table's primary key: the entity key
 * defaults to the dedupe key (and the other way round), since each names that primary key.
 */
function cdcKeys(input: StreamSpecInput): Pick<StreamSpecInput, 'dedupe' | 'entity'> {
  const key = input.entity?.key ?? input.dedupe?.key;
  if (!key) {
    throw new InvalidInputError(
      'Invalid stream spec: entity.key: a cdc stream needs entity.key or dedupe.key (the primary key of the source table)',
      [{ path: 'entity.key', message: 'required in a cdc stream (or dedupe.key, which it defaults to)' }],
    );
  }
  return { dedupe: input.dedupe ?? { key }, entity: input.entity ?? { key } };
}

/** Fields that keys depend on: they may never be removed from the schema. */
export function keyFields(spec: StreamSpec): string[] {
  const fields = new Set<string>([
    ...(spec.dedupe?.key ?? []),
    ...(spec.entity?.key ?? []),
    ...spec.clusterBy,
  ]);
  if (spec.entity?.orderBy) fields.add(spec.entity.orderBy);
  if (spec.entity?.deleteField) fields.add(spec.entity.deleteField);
  return [...fields];
}

/** Every field a spec names must be a declared top-level property of its schema. */
export function checkReferences(spec: StreamSpec): void {
  const errors: FieldError[] = [];
  const props = spec.schema.properties;
  const ref = (path: string, field: string) => {
    if (!Object.hasOwn(props, field))
      errors.push({ path, message: `'${field}' is not a property of the schema` });
  };
  const keyList = (path: string, fields: string[]) => {
    if (fields.length === 0) errors.push({ path, message: 'must name at least one field' });
    if (new Set(fields).size !== fields.length) errors.push({ path, message: 'must not repeat a field' });
    fields.forEach((f, i) => {
      ref(`${path}.${i}`, f);
      if (Object.hasOwn(props, f) && isComplex(spec.schema, f)) {
        errors.push({
          path: `${path}.${i}`,
          message: `'${f}' is an object or array and cannot be part of a key`,
        });
      }
    });
  };
  if (spec.dedupe) keyList('dedupe.key', spec.dedupe.key);
  if (spec.entity) {
    keyList('entity.key', spec.entity.key);
    if (spec.entity.orderBy) ref('entity.orderBy', spec.entity.orderBy);
    if (spec.entity.deleteField) {
      ref('entity.deleteField', spec.entity.deleteField);
      const p = props[spec.entity.deleteField];
      if (p && !nonNullTypes(p).every((t) => t === 'boolean')) {
        errors.push({
          path: 'entity.deleteField',
          message: `'${spec.entity.deleteField}' must be a boolean property`,
        });
      }
    }
  }
  if (spec.cdc) {
    // Source order and op `d` replace both in a change stream; a second rule would contradict them.
    if (spec.entity?.orderBy)
      errors.push({
        path: 'entity.orderBy',
        message: 'not allowed in a cdc stream: changes apply in source order (_source_position, _source_ts)',
      });
    if (spec.entity?.deleteField)
      errors.push({ path: 'entity.deleteField', message: 'not allowed in a cdc stream: op d deletes' });
  }
  spec.piiFields.forEach((f, i) => ref(`piiFields.${i}`, f));
  spec.clusterBy.forEach((f, i) => {
    ref(`clusterBy.${i}`, f);
    // Stored as VARIANT, which Snowflake refuses as a clustering key (and DuckDB's zone maps ignore).
    if (Object.hasOwn(props, f) && columnTypeOf(props[f]) === 'json') {
      errors.push({
        path: `clusterBy.${i}`,
        message: `'${f}' is an object, array or mixed-type property and cannot be a clustering key`,
      });
    }
  });
  if (errors.length) {
    throw new InvalidInputError(
      `Invalid stream spec: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      errors,
    );
  }
}

function isComplex(schema: ObjectSchema, field: string): boolean {
  return nonNullTypes(schema.properties[field]).some((t) => t === 'object' || t === 'array');
}
