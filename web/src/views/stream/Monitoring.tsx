import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { tenantPath } from '../../api.js';
import { CHANGE_TOTALS } from '../../cdc.js';
import { useSession } from '../../context.js';
import { clockLabel } from '../../clockAxis.js';
import { formatAgo, formatDuration, formatNumber, formatTime } from '../../format.js';
import { addLagSample, lagSeries, minuteGrid, type Counter, type LagSample } from '../../metrics.js';
import { usePoll } from '../../poll.js';
import type { Metrics } from '../../types.js';
import { Chart, type ChartSeries } from '../../components/Chart.js';
import { HealthBadge } from '../../components/Health.js';
import { LoadStateBadge } from '../../components/LoadState.js';
import { ProblemMessage } from '../../components/Problem.js';

const POLL_MS = 2000;
// The Lag chart keeps this page's own readings of the last ten minutes.
const LAG_WINDOW_S = 600;

const THROUGHPUT: Array<ChartSeries & { key: Counter }> = [
  { key: 'received', label: 'Received', color: '#1f5fbf' },
  { key: 'accepted', label: 'Accepted', color: '#1b7f3b', dash: [8, 3] },
  { key: 'rejected', label: 'Rejected', color: '#b3261e', dash: [2, 3] },
  { key: 'loadedRows', label: 'Loaded', color: '#6b3fa0', dash: [12, 4, 2, 4] },
];

const TOTALS: Array<[Counter, string]> = [
  ['received', 'Received'],
  ['accepted', 'Accepted'],
  ['rejected', 'Rejected'],
  ['duplicates', 'Duplicates'],
  ['loadedRows', 'Loaded rows'],
  ['loadErrors', 'Load errors'],
  ['loadFailed', 'Failed to load'],
];

/** Live throughput and lag, polled every 2 s; a change stream also shows its changes by op. */
export function Monitoring({ tenant, stream, cdc }: { tenant: string; stream: string; cdc?: boolean }) {
  const { api } = useSession();
  const [span, setSpan] = useState<60 | 1440>(60);
  const metrics = usePoll(
    () => api.get<Metrics>(`${tenantPath(tenant, 'streams', stream, 'metrics')}?minutes=${span}`),
    POLL_MS,
    [tenant, stream, span],
  );
  const grid = useMemo(() => minuteGrid(metrics.data, span), [metrics.data, span]);
  const ys = useMemo(() => THROUGHPUT.map((s) => grid.series[s.key]), [grid]);
  const lag = useLagHistory(metrics.data);
  const m = metrics.data;
  const windowText = span === 60 ? 'last hour' : 'last 24 hours';

  return (
    <section aria-labelledby="monitoring-heading">
      <div class="title-row">
        <h2 id="monitoring-heading">Throughput</h2>
        <div role="group" aria-label="Time window" class="toggle">
          <button type="button" aria-pressed={span === 60} onClick={() => setSpan(60)}>
            1 h
          </button>
          <button type="button" aria-pressed={span === 1440} onClick={() => setSpan(1440)}>
            24 h
          </button>
        </div>
      </div>
      {metrics.error && <ProblemMessage error={metrics.error} action="read this stream's metrics" />}
      <dl class="kpis" aria-label={`Totals, ${windowText}`}>
        <div>
          <dt>Health</dt>
          <dd>
            <HealthBadge health={m?.health} />
          </dd>
        </div>
        <div>
          <dt>Loading</dt>
          <dd>
            <LoadStateBadge state={m?.loadState} detail={m?.loadStateDetail} />
          </dd>
        </div>
        {TOTALS.map(([key, label]) => (
          <div key={key}>
            <dt>{label}</dt>
            <dd data-testid={`total-${key}`}>{m ? formatNumber(grid.totals[key]) : '…'}</dd>
          </div>
        ))}
        <div>
          <dt>Lag</dt>
          <dd data-testid="lag">{m ? formatDuration(m.lagSeconds) : '…'}</dd>
        </div>
        <div>
          <dt>Oldest unloaded</dt>
          <dd data-testid="oldest-unloaded">{m ? formatDuration(m.oldestUnloadedAgeSeconds) : '…'}</dd>
        </div>
        <div>
          <dt>Last record</dt>
          <dd title={formatTime(m?.lastReceivedAt)}>{m ? formatAgo(m.lastReceivedAt) : '…'}</dd>
        </div>
        <div>
          <dt>Last load</dt>
          <dd title={formatTime(m?.lastLoadedAt)}>{m ? formatAgo(m.lastLoadedAt) : '…'}</dd>
        </div>
      </dl>
      {cdc && (
        <dl class="kpis" aria-label={`Change events by op, ${windowText}`} data-testid="change-totals">
          {CHANGE_TOTALS.map(([key, label]) => (
            <div key={key}>
              <dt>{label}</dt>
              <dd data-testid={`total-${key}`}>{m ? formatNumber(grid.totals[key]) : '…'}</dd>
            </div>
          ))}
        </dl>
      )}
      {m && m.loadState !== 'ok' && (
        <p class={m.loadState === 'retrying' ? 'small muted' : 'problem'} data-testid="load-state-detail">
          {m.loadStateDetail}
        </p>
      )}
      {m?.lastLoadError && (
        <p class="problem">
          Last load error at {formatTime(m.lastLoadError.at)}: {m.lastLoadError.message}
        </p>
      )}
      <Chart
        testId="throughput-chart"
        x={grid.x}
        ys={ys}
        series={THROUGHPUT}
        yLabel="records / min"
        summary={`Records per minute, ${windowText}: ${THROUGHPUT.map((s) => `${s.label.toLowerCase()} ${grid.totals[s.key]}`).join(', ')}.`}
      />
      <h3>Lag</h3>
      <p class="small muted">
        Seconds from receipt to load, sampled every 2 s while this page is open (last 10 minutes).
      </p>
      <Chart
        testId="lag-chart"
        x={lag.x}
        ys={lag.ys}
        height={140}
        clockWindowSeconds={LAG_WINDOW_S}
        yLabel="seconds"
        series={[{ label: 'Lag (s)', color: '#8a4b00' }]}
        summary={`Lag now ${m ? formatDuration(m.lagSeconds) : 'unknown'}${lagSpan(lag.x)}.`}
      />
    </section>
  );
}

/** The API reports lag as of now; the history is built from this page's own samples. */
function useLagHistory(m: Metrics | undefined): { x: number[]; ys: number[][] } {
  const samples = useRef<LagSample[]>([]);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!m) return;
    samples.current = addLagSample(samples.current, [Date.now() / 1000, m.lagSeconds], LAG_WINDOW_S);
    setVersion((v) => v + 1);
  }, [m]);
  return useMemo(() => lagSeries(samples.current), [version]);
}

/** ", sampled 14:02 to 14:07": the text equivalent of the chart's time axis. */
function lagSpan(x: number[]): string {
  if (x.length === 0) return '';
  const from = clockLabel(x[0]);
  const to = clockLabel(x[x.length - 1]);
  return from === to ? `, sampled at ${to}` : `, sampled ${from} to ${to}`;
}
