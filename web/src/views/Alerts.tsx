import { tenantPath } from '../api.js';
import { tenantOf, useSession } from '../context.js';
import { formatTime } from '../format.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import type { Alert } from '../types.js';
import { ProblemMessage } from '../components/Problem.js';

const RULES: Record<Alert['rule'], string> = {
  silence: 'No records',
  load_delay: 'Load delayed',
  reconciliation: 'Counts do not reconcile',
  load_errors: 'Load errors',
  load_stuck: 'Loading stuck',
};

/** Firing alerts first, then resolved ones; refreshed every 5 s. */
export function Alerts() {
  const { api, me } = useSession();
  const tenant = tenantOf(me);
  const alerts = usePoll(() => api.get<{ alerts: Alert[] }>(tenantPath(tenant, 'alerts')), 5000, [tenant]);
  const list = [...(alerts.data?.alerts ?? [])].sort((a, b) =>
    a.state === b.state ? b.firedAt.localeCompare(a.firedAt) : a.state === 'firing' ? -1 : 1,
  );
  const firing = list.filter((a) => a.state === 'firing').length;
  return (
    <section>
      <h1>Alerts</h1>
      {alerts.error && <ProblemMessage error={alerts.error} action="read alerts" />}
      {alerts.data && (
        <p aria-live="polite">
          {firing === 0 ? 'No alerts firing.' : `${firing} alert${firing === 1 ? '' : 's'} firing.`}
        </p>
      )}
      {list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Stream</th>
              <th scope="col">Rule</th>
              <th scope="col">Message</th>
              <th scope="col">Fired</th>
              <th scope="col">Resolved</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.id}>
                <td>
                  <span class={`badge ${a.state === 'firing' ? 'badge-failing' : 'badge-idle'}`}>
                    {a.state === 'firing' ? 'Firing' : 'Resolved'}
                  </span>
                </td>
                <td>
                  <a href={href.stream(a.stream)}>{a.stream}</a>
                </td>
                <td>{RULES[a.rule] ?? a.rule}</td>
                <td>{a.message}</td>
                <td>{formatTime(a.firedAt)}</td>
                <td>{a.resolvedAt ? formatTime(a.resolvedAt) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
