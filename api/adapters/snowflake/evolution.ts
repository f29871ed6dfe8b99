/**
 * The DDL for a compatible schema change. Snowflake facts that shape it:
 * - a pipe's COPY is immutable, so a changed column set means CREATE OR REPLACE PIPE, done the documented
 *   way (pause, replace, resume) and followed by REFRESH for the files that arrived meanwhile;
 * - ALTER COLUMN SET DATA TYPE cannot turn NUMBER into FLOAT, so integer→number copies the column into a
 *   new FLOAT column and swaps it in (the pipe is paused while it runs);
 * - replaced objects lose their grants and policies, so those are applied again.
 */
import { InvalidInputError, SchemaIncompatibleError } from '../../domain/errors.js';
import type { FieldError } from '../../domain/errors.js';
import { columnsOf } from '../../domain/schema/columns.js';
import type { Column } from '../../domain/schema/types.js';
import type { Stream } from '../../domain/streams/types.js';
import { lit } from './identifiers.js';
import { SQL_TYPES } from './names.js';
import type { SnowflakeSqlConfig } from './names.js';
import {
  FILE_COLUMN,
  col,
  layerGrantsSql,
  layersSql,
  list,
  pipeSql,
  policiesSql,
  prepare,
  setMask,
} from './sql.js';

/**
 * How far before the evolution the pipe refresh looks. It covers files that were queued, not yet loaded,
 * when the old pipe was replaced; anything refreshed twice is caught by the table's load history, and
 * otherwise by the deduped layer (raw is at-least-once anyway, as Firehose is).
 */
export const REFRESH_MARGIN_MS = 15 * 60 * 1000;

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The statements that evolve `from` into `to`, in order; empty when the change needs no DDL. */
export function evolveStreamSql(from: Stream, to: Stream, cfg: SnowflakeSqlConfig): string[] {
  prepare(from, cfg);
  const { o, cols } = prepare(to, cfg);
  if (from.tenant !== to.tenant || from.name !== to.name) {
    throw new InvalidInputError('Cannot evolve one stream into another', [
      { path: 'name', message: 'tenant and name must not change' },
    ]);
  }
  const before = new Map(columnsOf(from.schema).map((c) => [c.name, c]));
  const added: Column[] = [];
  const widened: Column[] = [];
  const errors: FieldError[] = [];
  for (const c of cols) {
    const prev = before.get(c.name);
    if (!prev) added.push(c);
    else if (prev.type === 'integer' && c.type === 'number') widened.push(c);
    else if (prev.type !== c.type)
      errors.push({
        path: `schema.properties.${c.name}`,
        message: `cannot change ${prev.type} to ${c.type}`,
      });
  }
  if (errors.length) throw new SchemaIncompatibleError('Snowflake cannot apply this change', errors);

  const isPii = (s: Stream, f: string) => s.piiFields.includes(f);
  const columnsChanged = added.length + widened.length > 0;
  const layersChanged = columnsChanged || !same(from.dedupe, to.dedupe) || !same(from.entity, to.entity);
  const out: string[] = [];

  // Masking of the raw table: new PII columns, retyped PII columns, and PII no longer declared.
  const changedNames = new Set([...added, ...widened].map((c) => c.name));
  const needMask = cols.filter(
    (c) => isPii(to, c.name) && (changedNames.has(c.name) || !isPii(from, c.name)),
  );
  // A retired property keeps its column, and its mask with it: only a still-declared field can stop being PII.
  const declared = new Set(cols.map((c) => c.name));
  const dropMask = [...before.keys()].filter((f) => isPii(from, f) && !isPii(to, f) && declared.has(f));
  const quarantineMask = to.piiFields.length > 0 && from.piiFields.length === 0;
  const mask = (c: Column) => o.maskPolicy(SQL_TYPES[c.type]);
  // A PII column is born masked (WITH MASKING POLICY); the SET after it also covers a retired column
  // that comes back as PII, which ADD COLUMN IF NOT EXISTS leaves as it was. Both run while the pipe
  // is paused, so no row reaches a PII column before its mask does.
  const inline = (c: Column) => (isPii(to, c.name) ? ` WITH MASKING POLICY ${mask(c)}` : '');
  const rawMasking = [
    ...needMask.map((c) => setMask('TABLE', o.raw, col(c.name), mask(c))),
    ...dropMask.map((f) => `ALTER TABLE ${o.raw} MODIFY COLUMN ${col(f)} UNSET MASKING POLICY`),
  ];
  if (needMask.length || quarantineMask) out.push(...policiesSql(to, o, cols));

  if (columnsChanged) {
    out.push(`ALTER PIPE ${o.rawPipe} SET PIPE_EXECUTION_PAUSED = TRUE`);
    // Tables created before the file column existed get it with their first replaced pipe.
    out.push(`ALTER TABLE ${o.raw} ADD COLUMN IF NOT EXISTS ${FILE_COLUMN} VARCHAR`);
    for (const c of added)
      out.push(
        `ALTER TABLE ${o.raw} ADD COLUMN IF NOT EXISTS ${col(c.name)} ${SQL_TYPES[c.type]}${inline(c)}`,
      );
    for (const c of widened) {
      const tmp = `"_WIDEN_${c.name.toUpperCase()}"`;
      // Unmasked first: the copy must read clear values whatever roles the service holds.
      if (isPii(from, c.name))
        out.push(`ALTER TABLE ${o.raw} MODIFY COLUMN ${col(c.name)} UNSET MASKING POLICY`);
      out.push(
        `ALTER TABLE ${o.raw} ADD COLUMN IF NOT EXISTS ${tmp} FLOAT${inline(c)}`,
        `UPDATE ${o.raw} SET ${tmp} = ${col(c.name)}::FLOAT`,
        `ALTER TABLE ${o.raw} DROP COLUMN ${col(c.name)}`,
        `ALTER TABLE ${o.raw} RENAME COLUMN ${tmp} TO ${col(c.name)}`,
      );
    }
    out.push(
      ...rawMasking,
      pipeSql(to, o, cols, 'raw', 'CREATE OR REPLACE PIPE'),
      `ALTER PIPE ${o.rawPipe} SET PIPE_EXECUTION_PAUSED = FALSE`,
      `ALTER PIPE ${o.rawPipe} REFRESH MODIFIED_AFTER = ${lit(refreshFrom(to))}`,
      `GRANT MONITOR ON PIPE ${o.rawPipe} TO ROLE ${o.readerRole}`,
    );
  } else {
    out.push(...rawMasking);
  }
  // Quarantined records keep their mask once a stream has had PII: old rejects may still hold it.
  if (quarantineMask) out.push(setMask('TABLE', o.quarantine, '"RECORD"', o.maskPolicy('VARIANT')));

  if (!same(from.clusterBy, to.clusterBy)) {
    out.push(
      to.clusterBy.length
        ? `ALTER TABLE ${o.raw} CLUSTER BY (${list(to.clusterBy)})`
        : `ALTER TABLE ${o.raw} DROP CLUSTERING KEY`,
    );
  }

  if (layersChanged) {
    if (from.entity && !to.entity) out.push(`DROP DYNAMIC TABLE IF EXISTS ${o.entity}`);
    if (from.dedupe && !to.dedupe) out.push(`DROP DYNAMIC TABLE IF EXISTS ${o.deduped}`);
    out.push(...layersSql(to, cfg, 'replace'), ...layerGrantsSql(to, o));
  } else {
    const layers = [...(to.dedupe ? [o.deduped] : []), ...(to.entity ? [o.entity] : [])];
    for (const t of layers) {
      for (const c of needMask)
        out.push(setMask('DYNAMIC TABLE', t, col(c.name), o.maskPolicy(SQL_TYPES[c.type])));
      for (const f of dropMask)
        out.push(`ALTER DYNAMIC TABLE ${t} MODIFY COLUMN ${col(f)} UNSET MASKING POLICY`);
    }
  }
  return out;
}

function refreshFrom(to: Stream): string {
  const at = Date.parse(to.updatedAt);
  if (Number.isNaN(at))
    throw new InvalidInputError('Invalid stream', [
      { path: 'updatedAt', message: 'must be an ISO-8601 time' },
    ]);
  return new Date(at - REFRESH_MARGIN_MS).toISOString();
}
