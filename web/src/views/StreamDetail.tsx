import { useState } from 'preact/hooks';
import { asApiError, type ApiError, tenantPath } from '../api.js';
import { tenantOf, useSession } from '../context.js';
import { formatTime } from '../format.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../router.js';
import type { Stream } from '../types.js';
import { ProblemMessage } from '../components/Problem.js';
import { Monitoring } from './stream/Monitoring.js';
import { SchemaVersions } from './stream/SchemaVersions.js';
import { StreamConfig } from './stream/StreamConfig.js';
import { RecordPreview } from './stream/RecordPreview.js';
import { Rejections } from './stream/Rejections.js';
import { BatchLookup } from './stream/BatchLookup.js';

/** Everything about one stream: live monitoring, schema history, configuration and data. */
export function StreamDetail({ stream }: { stream: string }) {
  const { api, me, announce } = useSession();
  const tenant = tenantOf(me);
  const s = usePoll(() => api.get<Stream>(tenantPath(tenant, 'streams', stream)), 0, [tenant, stream]);
  const isAdmin = me.kind === 'key' && me.role === 'admin';

  return (
    <article>
      <p class="breadcrumb">
        <a href={href.streams}>Streams</a> / {stream}
      </p>
      <div class="title-row">
        <h1>
          Stream <span class="mono">{stream}</span>
        </h1>
        {isAdmin && s.data && (
          <div class="row">
            <a class="button" href={href.evolve(stream)}>
              Evolve schema
            </a>
            <DeleteStream
              tenant={tenant}
              stream={stream}
              onDeleted={() => {
                announce(`Stream ${stream} deleted.`);
                navigate(href.streams);
              }}
            />
          </div>
        )}
      </div>
      {s.error && <ProblemMessage error={s.error} action={`read stream ${stream}`} />}
      {s.data && (
        <>
          <p>
            {s.data.description ?? <span class="muted">No description.</span>}{' '}
            <span class="muted small">
              Schema version <span data-testid="schema-version">{s.data.version}</span> · updated{' '}
              {formatTime(s.data.updatedAt)}
            </span>
          </p>
          <Monitoring tenant={tenant} stream={stream} cdc={s.data.cdc !== undefined} />
          <SchemaVersions tenant={tenant} stream={s.data} />
          <StreamConfig stream={s.data} />
          <RecordPreview tenant={tenant} stream={s.data} />
          <Rejections tenant={tenant} stream={stream} />
          <BatchLookup tenant={tenant} stream={stream} />
        </>
      )}
    </article>
  );
}

function DeleteStream({
  tenant,
  stream,
  onDeleted,
}: {
  tenant: string;
  stream: string;
  onDeleted: () => void;
}) {
  const { api } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  if (!confirming) {
    return (
      <button type="button" class="danger" onClick={() => setConfirming(true)}>
        Delete stream
      </button>
    );
  }
  const del = async () => {
    try {
      await api.del(tenantPath(tenant, 'streams', stream));
      onDeleted();
    } catch (e) {
      setError(asApiError(e));
    }
  };
  return (
    <div class="confirm" role="group" aria-label="Confirm deletion">
      <span>Delete {stream}? Ingest stops; loaded data is kept.</span>
      <button type="button" class="danger" autoFocus onClick={() => void del()}>
        Confirm delete
      </button>
      <button type="button" class="secondary" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      {error && <ProblemMessage error={error} action="delete streams" />}
    </div>
  );
}
