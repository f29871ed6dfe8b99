import { useState } from 'preact/hooks';
import { tenantPath } from '../../api.js';
import { useSession } from '../../context.js';
import { usePoll } from '../../poll.js';
import { streamLayers } from '../../layers.js';
import type { Layer, RecordRow, RecordsPage, Stream } from '../../types.js';
import { ProblemMessage } from '../../components/Problem.js';
import { Tabs } from '../../components/Tabs.js';

const LIMIT = 20;

/** The latest rows of each of the stream's warehouse layers (PII masked unless the key may see it). */
export function RecordPreview({ tenant, stream }: { tenant: string; stream: Stream }) {
  const { api } = useSession();
  const layers = streamLayers(stream);
  const [chosen, setLayer] = useState<Layer>('raw');
  // A choice made on another stream may name a layer this one lacks.
  const layer = layers.some((l) => l.value === chosen) ? chosen : 'raw';
  const page = usePoll(
    () =>
      api.get<RecordsPage>(
        `${tenantPath(tenant, 'streams', stream.name, 'records')}?layer=${layer}&limit=${LIMIT}`,
      ),
    5000,
    [tenant, stream.name, layer],
  );
  const data = page.data?.layer === layer ? page.data : undefined;
  return (
    <section aria-labelledby="preview-heading">
      <h2 id="preview-heading">Records</h2>
      <Tabs id="layer" label="Warehouse layer" tabs={layers} selected={layer} onSelect={setLayer} />
      <div
        id="layer-panel"
        role="tabpanel"
        aria-labelledby={`layer-tab-${layer}`}
        tabIndex={0}
        class="tabpanel"
      >
        {page.error && <ProblemMessage error={page.error} action={`preview the ${layer} layer`} />}
        {!data && !page.error && <p>Loading…</p>}
        {data && (
          <>
            <p class="small muted" data-testid="preview-total">
              {data.total} rows in the {layer} layer; showing up to {LIMIT}.
            </p>
            {data.records.length > 0 && <RecordTable rows={data.records} />}
          </>
        )}
      </div>
    </section>
  );
}

function RecordTable({ rows }: { rows: RecordRow[] }) {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort((a, b) => {
    // Declared fields first, then the _metadata columns.
    const ma = a.startsWith('_') ? 1 : 0;
    const mb = b.startsWith('_') ? 1 : 0;
    return ma - mb;
  });
  return (
    <div class="scroll-x">
      <table class="records">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col" class="mono">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={`${String(r._id ?? '')}-${i}`}>
              {columns.map((c) => (
                <td key={c} class="mono">
                  {cell(r[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
