import { useState } from 'preact/hooks';
import { asApiError, type ApiError, tenantPath } from '../../api.js';
import { useSession } from '../../context.js';
import { formatTime } from '../../format.js';
import type { BatchReceipt } from '../../types.js';
import { ProblemMessage } from '../../components/Problem.js';

/** Where a batch is now: buffered, delivered to the lake, or loaded into the warehouse. */
export function BatchLookup({ tenant, stream }: { tenant: string; stream: string }) {
  const { api } = useSession();
  const [batchId, setBatchId] = useState('');
  const [receipt, setReceipt] = useState<BatchReceipt | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const lookup = async (e: Event) => {
    e.preventDefault();
    if (!batchId.trim()) return;
    setBusy(true);
    setError(undefined);
    setReceipt(undefined);
    try {
      setReceipt(
        await api.get<BatchReceipt>(tenantPath(tenant, 'streams', stream, 'batches', batchId.trim())),
      );
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="batch-heading">
      <h2 id="batch-heading">Batch receipt</h2>
      <form class="row" onSubmit={(e) => void lookup(e)}>
        <label for="batch-id">Batch id</label>
        <input
          id="batch-id"
          class="mono grow"
          value={batchId}
          onInput={(e) => setBatchId(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Look up
        </button>
      </form>
      <div aria-live="polite" data-testid="batch-receipt">
        {error && <ProblemMessage error={error} action="look up batches" />}
        {receipt && (
          <dl class="config">
            <dt>State</dt>
            <dd>
              <strong>{receipt.state}</strong>
            </dd>
            <dt>Received</dt>
            <dd>{formatTime(receipt.receivedAt)}</dd>
            <dt>Accepted / rejected</dt>
            <dd>
              {receipt.accepted} / {receipt.rejected}
            </dd>
            <dt>Loaded</dt>
            <dd>{receipt.loadedAt ? formatTime(receipt.loadedAt) : 'not yet'}</dd>
            <dt>Objects</dt>
            <dd>
              {receipt.objects.length === 0 ? (
                'none yet'
              ) : (
                <ul class="plain">
                  {receipt.objects.map((o) => (
                    <li key={o} class="mono small">
                      {o}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
        )}
      </div>
    </section>
  );
}
