import { z } from 'zod';
import { StreamName } from '../params.js';

const Field = z.string().min(1).max(63);

export const JsonSchemaObject = z
  .record(z.string(), z.unknown())
  .describe('A JSON Schema subset: type object with properties; see docs for supported keywords.')
  .meta({ id: 'StreamSchema' });

export const StreamSpecFields = {
  description: z.string().max(1000).optional(),
  schema: JsonSchemaObject,
  dedupe: z
    .object({ key: z.array(Field).min(1).max(10) })
    .strict()
    .optional(),
  entity: z
    .object({ key: z.array(Field).min(1).max(10), orderBy: Field.optional(), deleteField: Field.optional() })
    .strict()
    .optional(),
  piiFields: z.array(Field).max(200).optional(),
  clusterBy: z.array(Field).max(4).optional(),
  compatibility: z.enum(['BACKWARD', 'FULL']).optional(),
  freshness: z
    .object({
      maxSilenceMinutes: z.number().int().min(1).max(10_080),
      maxLoadDelayMinutes: z.number().int().min(1).max(1440).optional(),
    })
    .strict()
    .optional(),
  buffering: z
    .object({
      intervalSeconds: z.number().min(0.05).max(900).optional(),
      sizeMiB: z.number().min(0.001).max(128).optional(),
    })
    .strict()
    .optional()
    .describe(
      'Flush a stream buffer after this many seconds or MiB, whichever comes first. Each hint is optional: ' +
        'on create an omitted one takes the server default; on update it keeps its current value.',
    ),
  cdc: z
    .object({
      format: z.literal('debezium'),
      sourcePosition: z
        .enum(['lsn', 'pos', 'ts_ms'])
        .optional()
        .describe(
          'What orders changes: lsn (PostgreSQL), pos (MySQL binlog file+pos+row) or ts_ms; ' +
            'omitted, each event is ordered by what its source block holds (lsn, else file/pos, else ts_ms)',
        ),
    })
    .strict()
    .optional()
    .describe(
      'Change data capture: each record is a Debezium change event (with or without the schema/payload ' +
        'envelope). The entity key defaults to the dedupe key; entity.orderBy and entity.deleteField are ' +
        'not allowed. Immutable after creation.',
    ),
};

export const CreateStreamBody = z
  .object({ name: StreamName, ...StreamSpecFields })
  .strict()
  .meta({ id: 'StreamSpec' });

export const StreamSchema = z
  .object({
    name: z.string(),
    version: z.number().int(),
    description: z.string().optional(),
    schema: JsonSchemaObject,
    dedupe: z.object({ key: z.array(z.string()) }).optional(),
    entity: z
      .object({
        key: z.array(z.string()),
        orderBy: z.string().optional(),
        deleteField: z.string().optional(),
      })
      .optional(),
    piiFields: z.array(z.string()),
    clusterBy: z.array(z.string()),
    compatibility: z.enum(['BACKWARD', 'FULL']),
    freshness: z
      .object({ maxSilenceMinutes: z.number(), maxLoadDelayMinutes: z.number().optional() })
      .optional(),
    buffering: z.object({ intervalSeconds: z.number(), sizeMiB: z.number() }),
    cdc: z
      .object({ format: z.literal('debezium'), sourcePosition: z.enum(['lsn', 'pos', 'ts_ms']).optional() })
      .optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deletedAt: z.string().optional(),
  })
  .meta({ id: 'Stream' });

export const SchemaChangeSchema = z.object({
  field: z.string(),
  change: z.string(),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
});
