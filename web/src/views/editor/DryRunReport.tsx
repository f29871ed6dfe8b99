import { FieldErrors } from '../../components/Problem.js';
import type { DryRun, Stream } from '../../types.js';
import { ChangeList } from '../stream/SchemaVersions.js';

/** A dry run's verdict, violations, changes and warehouse DDL; marked outdated after an edit. */
export function DryRunReport({
  result,
  fresh,
  stream,
}: {
  result: DryRun;
  fresh: boolean;
  stream: Pick<Stream, 'compatibility'>;
}) {
  return (
    <section aria-labelledby="dry-heading" class={`card ${fresh ? '' : 'outdated'}`} data-testid="dry-run">
      <h2 id="dry-heading">Dry run{fresh ? '' : ' (outdated)'}</h2>
      <p class={result.compatible ? 'verdict ok' : 'verdict bad'} data-testid="verdict">
        {result.compatible
          ? `✓ Compatible: version ${result.fromVersion} → ${result.toVersion}`
          : `✕ Not compatible with ${stream.compatibility ?? 'BACKWARD'}`}
      </p>
      {result.violations.length > 0 && (
        <>
          <h3>Violations</h3>
          <FieldErrors errors={result.violations} />
        </>
      )}
      <h3>Changes</h3>
      {result.changes.length === 0 ? <p>No changes.</p> : <ChangeList changes={result.changes} />}
      <h3>Warehouse DDL</h3>
      {result.ddl.length === 0 ? (
        <p>No DDL needed.</p>
      ) : (
        <pre class="code" data-testid="ddl">
          {result.ddl.join(';\n') + ';'}
        </pre>
      )}
    </section>
  );
}
