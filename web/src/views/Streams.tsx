import { useMemo } from 'preact/hooks';
import { tenantPath } from '../api.js';
import { tenantOf, useSession } from '../context.js';
import { formatAgo, formatDuration, formatNumber } from '../format.js';
import { minuteGrid } from '../metrics.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import type { Alert, Metrics, Stream } from '../types.js';
import { Sparkline } from '../components/Chart.js';
import { HealthBadge } from '../components/Health.js';
import { ProblemMessage } from '../components/Problem.js';

const POLL_MS = 2000;

/** Overview of the tenant's streams with live health, throughput and alert counts. */
export function Streams() {
  const { api, me } = useSession();
  const tenant = tenantOf(me);
  const streams = usePoll(() => api.get<{ streams: Stream[] }>(tenantPath(tenant, 'streams')), 10_000, [
    tenant,
  ]);
  const alerts = usePoll(() => api.get<{ alerts: Alert[] }>(tenantPath(tenant, 'alerts')), 5000, [tenant]);
  const firing = useMemo(() => {
    const counts = new Map<string, number>();
    for (const a of alerts.data?.alerts ?? [])
      if (a.state === 'firing') counts.set(a.stream, (counts.get(a.stream) ?? 0) + 1);
    return counts;
  }, [alerts.data]);
  const isAdmin = me.kind === 'key' && me.role === 'admin';

  return (
    <section>
      <div class="title-row">
        <h1>Streams</h1>
        {isAdmin && (
          <a class="button" href={href.newStream}>
            Create stream
          </a>
        )}
      </div>
      {streams.error && <ProblemMessage error={streams.error} action="list streams" />}
      {streams.loading && !streams.data && <p>Loading…</p>}
      {streams.data && streams.data.streams.length === 0 && (
        <p>No streams yet.{isAdmin ? ' Create one to start sending records.' : ''}</p>
      )}
      {streams.data && streams.data.streams.length > 0 && (
        <table class="streams">
          <caption class="visually-hidden">Streams, updated every 2 seconds</caption>
          <thead>
            <tr>
              <th scope="col">Stream</th>
              <th scope="col">Health</th>
              <th scope="col">Records/min (last hour)</th>
              <th scope="col">Last record</th>
              <th scope="col">Lag</th>
              <th scope="col">Firing alerts</th>
            </tr>
          </thead>
          <tbody>
            {streams.data.streams.map((s) => (
              <StreamRow
                key={s.name}
                tenant={tenant}
                stream={s}
                firing={alerts.data ? (firing.get(s.name) ?? 0) : undefined}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function StreamRow({
  tenant,
  stream,
  firing,
}: {
  tenant: string;
  stream: Stream;
  firing: number | undefined;
}) {
  const { api } = useSession();
  const metrics = usePoll(
    () => api.get<Metrics>(`${tenantPath(tenant, 'streams', stream.name, 'metrics')}?minutes=60`),
    POLL_MS,
    [tenant, stream.name],
  );
  const grid = useMemo(() => minuteGrid(metrics.data, 60), [metrics.data]);
  const m = metrics.data;
  return (
    <tr data-testid={`stream-row-${stream.name}`}>
      <th scope="row">
        <a href={href.stream(stream.name)}>{stream.name}</a>
        {stream.description && <div class="small muted">{stream.description}</div>}
      </th>
      <td>{metrics.error ? <span class="muted">unavailable</span> : <HealthBadge health={m?.health} />}</td>
      <td>
        <Sparkline
          x={grid.x}
          y={grid.series.received}
          label={`${grid.totals.received} records received in the last hour`}
        />
        <span class="small" data-testid="received-hour">
          {' '}
          {formatNumber(grid.totals.received)} in the last hour
        </span>
      </td>
      <td>{m ? formatAgo(m.lastReceivedAt) : '—'}</td>
      <td>{m ? formatDuration(m.lagSeconds) : '—'}</td>
      <td>{firing === undefined ? '—' : firing > 0 ? <strong class="text-bad">{firing}</strong> : '0'}</td>
    </tr>
  );
}
