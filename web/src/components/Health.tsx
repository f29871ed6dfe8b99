import type { Health } from '../types.js';

const TEXT: Record<Health, { label: string; icon: string; help: string }> = {
  fresh: { label: 'Fresh', icon: '●', help: 'Records are arriving and loading on time.' },
  stale: {
    label: 'Stale',
    icon: '◐',
    help: 'No records for longer than the freshness window, or loads are late.',
  },
  failing: { label: 'Failing', icon: '✕', help: 'Loads into the warehouse are failing.' },
  idle: { label: 'Idle', icon: '○', help: 'No records received yet.' },
};

/** Health as text plus a shape, so it never depends on colour alone. */
export function HealthBadge({ health }: { health: Health | undefined }) {
  if (!health) return <span class="badge badge-unknown">Unknown</span>;
  const t = TEXT[health];
  return (
    <span class={`badge badge-${health}`} title={t.help} data-testid="health">
      <span aria-hidden="true">{t.icon} </span>
      {t.label}
    </span>
  );
}
