import { tenantPath } from '../../api.js';
import { useSession } from '../../context.js';
import { formatTime } from '../../format.js';
import { usePoll } from '../../poll.js';
import type { Rejection } from '../../types.js';
import { FieldErrors, ProblemMessage } from '../../components/Problem.js';

const REASONS: Record<Rejection['reason'], string> = {
  validation: 'Validation',
  load_failed: 'Failed to load',
};

/**
 * Records that failed validation at ingest, and accepted records the warehouse then refused (whose
 * record is the stored line's text), each with the reasons.
 */
export function Rejections({ tenant, stream }: { tenant: string; stream: string }) {
  const { api } = useSession();
  const page = usePoll(
    () =>
      api.get<{ total: number; rejections: Rejection[] }>(
        `${tenantPath(tenant, 'streams', stream, 'rejections')}?limit=20`,
      ),
    5000,
    [tenant, stream],
  );
  return (
    <section aria-labelledby="rejections-heading" data-testid="rejections">
      <h2 id="rejections-heading">Rejected records</h2>
      {page.error && <ProblemMessage error={page.error} action="read rejected records" />}
      {page.data && page.data.rejections.length === 0 && <p>No rejected records.</p>}
      {page.data && page.data.rejections.length > 0 && (
        <>
          <p class="small muted">
            {page.data.total} rejected in total; the latest {page.data.rejections.length} are shown.
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Batch</th>
                <th scope="col">Reason</th>
                <th scope="col">Record</th>
                <th scope="col">Errors</th>
              </tr>
            </thead>
            <tbody>
              {page.data.rejections.map((r, i) => (
                <tr key={`${r.batchId}-${i}`}>
                  <td>{formatTime(r.receivedAt)}</td>
                  <td class="mono small">{r.batchId}</td>
                  <td>
                    <span class={r.reason === 'load_failed' ? 'badge badge-failing' : 'badge badge-idle'}>
                      {REASONS[r.reason] ?? r.reason}
                    </span>
                  </td>
                  <td>
                    <pre class="code inline">
                      {r.reason === 'load_failed' && typeof r.record === 'string'
                        ? r.record
                        : JSON.stringify(r.record, null, 1)}
                    </pre>
                  </td>
                  <td>
                    <FieldErrors errors={r.errors} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
