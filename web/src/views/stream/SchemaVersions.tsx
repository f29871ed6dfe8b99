import { useMemo, useState } from 'preact/hooks';
import { tenantPath } from '../../api.js';
import { useSession } from '../../context.js';
import { formatTime, showValue } from '../../format.js';
import { usePoll } from '../../poll.js';
import { diffSchemas } from '../../schemaDiff.js';
import type { ObjectSchema, SchemaChange, Stream, StreamVersion } from '../../types.js';
import { ProblemMessage } from '../../components/Problem.js';

/** The current fields, every version, and a diff between any two versions. */
export function SchemaVersions({ tenant, stream }: { tenant: string; stream: Stream }) {
  const { api } = useSession();
  const versions = usePoll(
    () => api.get<{ versions: StreamVersion[] }>(tenantPath(tenant, 'streams', stream.name, 'versions')),
    0,
    [tenant, stream.name, stream.version],
  );
  const list = useMemo(
    () => [...(versions.data?.versions ?? [])].sort((a, b) => a.version - b.version),
    [versions.data],
  );
  const [from, setFrom] = useState<number | undefined>(undefined);
  const [to, setTo] = useState<number | undefined>(undefined);
  const fromV = list.find((v) => v.version === from) ?? list[list.length - 2] ?? list[0];
  const toV = list.find((v) => v.version === to) ?? list[list.length - 1];
  const diff = fromV && toV ? diffSchemas(fromV.schema, toV.schema) : [];

  return (
    <section aria-labelledby="schema-heading">
      <h2 id="schema-heading">Schema (version {stream.version})</h2>
      <FieldTable schema={stream.schema} pii={stream.piiFields ?? []} />
      <details>
        <summary>Schema JSON</summary>
        <pre class="code">{JSON.stringify(stream.schema, null, 2)}</pre>
      </details>
      <h3>Versions</h3>
      {versions.error && <ProblemMessage error={versions.error} action="read schema versions" />}
      {list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
              <th scope="col">Changes from the previous version</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.version}>
                <td>{v.version}</td>
                <td>{formatTime(v.createdAt)}</td>
                <td>
                  {v.changes.length === 0 ? (
                    <span class="muted">initial</span>
                  ) : (
                    <ChangeList changes={v.changes} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.length > 1 && fromV && toV && (
        <div class="card">
          <h3>Compare versions</h3>
          <div class="row">
            <label>
              From version{' '}
              <select value={fromV.version} onChange={(e) => setFrom(Number(e.currentTarget.value))}>
                {list.map((v) => (
                  <option key={v.version} value={v.version}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
            <label>
              To version{' '}
              <select value={toV.version} onChange={(e) => setTo(Number(e.currentTarget.value))}>
                {list.map((v) => (
                  <option key={v.version} value={v.version}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div aria-live="polite" data-testid="version-diff">
            {diff.length === 0 ? (
              <p>
                No differences between version {fromV.version} and version {toV.version}.
              </p>
            ) : (
              <ChangeList changes={diff} />
            )}
          </div>
        </div>
      )}
    </section>
  );
}

export function ChangeList({ changes }: { changes: SchemaChange[] }) {
  return (
    <ul class="changes">
      {changes.map((c, i) => (
        <li key={i}>
          <code>{c.field}</code> {c.change}
          {(c.from !== undefined || c.to !== undefined) && (
            <span class="muted">
              {' '}
              ({c.from !== undefined ? showValue(c.from) : '∅'} → {c.to !== undefined ? showValue(c.to) : '∅'}
              )
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

function FieldTable({ schema, pii }: { schema: ObjectSchema; pii: string[] }) {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {});
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Type</th>
          <th scope="col">Required</th>
          <th scope="col">PII</th>
          <th scope="col">Description</th>
        </tr>
      </thead>
      <tbody>
        {fields.map(([name, p]) => (
          <tr key={name}>
            <td class="mono">{name}</td>
            <td>
              {Array.isArray(p.type) ? p.type.join(' | ') : p.type}
              {p.format ? ` (${p.format})` : ''}
              {p.enum ? ` one of ${p.enum.map((v) => JSON.stringify(v)).join(', ')}` : ''}
            </td>
            <td>{required.has(name) ? 'yes' : 'no'}</td>
            <td>{pii.includes(name) ? 'masked' : '—'}</td>
            <td>{p.description ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
