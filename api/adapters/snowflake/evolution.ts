/**
 * The DDL for a compatible schema change, as a plan of steps. Snowflake facts that shape it:
 * - a pipe's COPY is immutable, so a changed column set means CREATE OR REPLACE PIPE, done the documented
 *   way (pause, wait for PAUSED with no pending file, replace) and followed by a catch-up that loads
 *   exactly the files the old pipe did not (pipe-replacement.ts);
 * - ALTER COLUMN SET DATA TYPE cannot turn NUMBER into FLOAT, so integer→number copies the column into a
 *   new FLOAT column and swaps it in (the pipe is paused while it runs);
 * - replaced objects lose their grants and policies, so those are applied again.
 * Most steps are one statement; the pause, the replacement and the catch-up read Snowflake's answers,
 * so evolution-runner.ts runs them. renderPlan shows the whole plan as SQL for dry runs.
 */
import { InvalidInputError, SchemaIncompatibleError } from '../../domain/errors.js';
import type { FieldError } from '../../domain/errors.js';
import { columnsOf } from '../../domain/schema/columns.js';
import type { Column } from '../../domain/schema/types.js';
import type { Stream } from '../../domain/streams/types.js';
import { SQL_TYPES } from './names.js';
import { catchUpFor, pipeStatusSql } from './pipe-replacement.js';
import type { CatchUp } from './pipe-replacement.js';
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

export type EvolutionStep =
  | { kind: 'sql'; sql: string }
  /** Pause the pipe and wait until it is PAUSED with no pending file; resume it if anything fails after. */
  | { kind: 'pause'; pause: string; status: string; resume: string }
  /** Remember what the old pipe loaded (catchUp.handledSql), then replace it with `sql`. */
  | { kind: 'replace-pipe'; sql: string; catchUp: CatchUp }
  /** Refresh the new pipe with the window's files neither the old pipe nor raw holds. */
  | { kind: 'catch-up'; catchUp: CatchUp };

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The statements that evolve `from` into `to`, as a dry run shows them; empty when no DDL is needed. */
export function evolveStreamSql(from: Stream, to: Stream, cfg: SnowflakeSqlConfig): string[] {
  return renderPlan(evolveStreamPlan(from, to, cfg));
}

/** The steps that evolve `from` into `to`, in order; empty when the change needs no DDL. */
export function evolveStreamPlan(from: Stream, to: Stream, cfg: SnowflakeSqlConfig): EvolutionStep[] {
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
  const steps: EvolutionStep[] = [];
  const out = { push: (...sql: string[]) => sql.forEach((x) => steps.push({ kind: 'sql', sql: x })) };

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
    steps.push({
      kind: 'pause',
      pause: `ALTER PIPE ${o.rawPipe} SET PIPE_EXECUTION_PAUSED = TRUE`,
      status: pipeStatusSql(o.rawPipe),
      resume: `ALTER PIPE ${o.rawPipe} SET PIPE_EXECUTION_PAUSED = FALSE`,
    });
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
    out.push(...rawMasking);
    const catchUp = catchUpFor(to.tenant, to.name, o, cfg.bucket, to.updatedAt);
    steps.push({ kind: 'replace-pipe', sql: pipeSql(to, o, cols, 'raw', 'CREATE OR REPLACE PIPE'), catchUp });
    // A new pipe runs already; said anyway, in case pipes are paused at the schema or account level.
    out.push(
      `ALTER PIPE ${o.rawPipe} SET PIPE_EXECUTION_PAUSED = FALSE`,
      `GRANT MONITOR ON PIPE ${o.rawPipe} TO ROLE ${o.readerRole}`,
    );
    steps.push({ kind: 'catch-up', catchUp });
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
  return steps;
}

/**
 * The plan as SQL for a dry run: the steps that read Snowflake's answers show the statements they start
 * with, and what they do with the answers, as comments.
 */
export function renderPlan(steps: EvolutionStep[]): string[] {
  return steps.flatMap((step) => {
    switch (step.kind) {
      case 'sql':
        return [step.sql];
      case 'pause':
        return [
          step.pause,
          `-- repeated until executionState is PAUSED and pendingFileCount is 0 (bounded; on timeout the pipe is resumed and the change fails)\n${step.status}`,
        ];
      case 'replace-pipe':
        return [
          `-- the files the old pipe handled, read before its history goes with it\n${step.catchUp.handledSql}`,
          step.sql,
        ];
      case 'catch-up': {
        const o = step.catchUp.objects;
        return [
          ...step.catchUp.listSql.map((sql, i) =>
            i === 0 ? `-- the lake objects of the catch-up window\n${sql}` : sql,
          ),
          `-- the listed objects the old pipe did not handle, less those raw already holds (in chunks)\nSELECT DISTINCT "_FILE"\nFROM ${o.raw}\nWHERE "_FILE" IN (<listed objects>)`,
          `-- then, for each object still missing, through the new pipe (its history stops a second load)\nALTER PIPE ${o.rawPipe} REFRESH PREFIX = '<object path after ${step.catchUp.pipePath}>'`,
        ];
      }
    }
  });
}
