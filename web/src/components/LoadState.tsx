import type { LoadState } from '../types.js';

const TEXT: Record<LoadState, { label: string; icon: string; badge: string; help: string }> = {
  ok: { label: 'Loading', icon: '●', badge: 'fresh', help: 'Every object loads.' },
  retrying: {
    label: 'Retrying',
    icon: '◐',
    badge: 'stale',
    help: 'An object failed to load and is retried.',
  },
  degraded: {
    label: 'Degraded',
    icon: '◐',
    badge: 'stale',
    help: 'The warehouse, its database file or the disk is failing; loads are retried with backoff.',
  },
  stuck: {
    label: 'Stuck',
    icon: '✕',
    badge: 'failing',
    help: 'An object keeps failing to load, or acknowledged records wait too long.',
  },
};

/** The stream's load state as text plus a shape, so it never depends on colour alone. */
export function LoadStateBadge({ state, detail }: { state: LoadState | undefined; detail?: string }) {
  if (!state) return <span class="badge badge-unknown">Unknown</span>;
  const t = TEXT[state];
  return (
    <span class={`badge badge-${t.badge}`} title={detail ?? t.help} data-testid="load-state">
      <span aria-hidden="true">{t.icon} </span>
      {t.label}
    </span>
  );
}
