import { cdcKind } from '../../cdc.js';
import type { Stream } from '../../types.js';

const list = (xs: string[] | undefined) => (xs && xs.length ? xs.join(', ') : 'none');

/** Dedupe, entity, PII and delivery settings, read-only. */
export function StreamConfig({ stream }: { stream: Stream }) {
  return (
    <section aria-labelledby="config-heading">
      <h2 id="config-heading">Configuration</h2>
      <dl class="config">
        <dt>Kind</dt>
        <dd data-testid="stream-kind">{cdcKind(stream) ?? 'records'}</dd>
        <dt>Dedupe key</dt>
        <dd>{stream.dedupe ? list(stream.dedupe.key) : 'not deduplicated'}</dd>
        <dt>Entity key</dt>
        <dd>{stream.entity ? list(stream.entity.key) : 'no entity layer'}</dd>
        {stream.entity && (
          <>
            <dt>Entity order by</dt>
            <dd>
              {stream.cdc
                ? 'source order (_source_position, then _source_ts)'
                : (stream.entity.orderBy ?? 'receipt order')}
            </dd>
            <dt>Entity delete field</dt>
            <dd>{stream.cdc ? 'op d deletes' : (stream.entity.deleteField ?? 'none')}</dd>
          </>
        )}
        <dt>PII fields (masked)</dt>
        <dd>{list(stream.piiFields)}</dd>
        <dt>Cluster by</dt>
        <dd>{list(stream.clusterBy)}</dd>
        <dt>Compatibility</dt>
        <dd>{stream.compatibility ?? 'BACKWARD'}</dd>
        <dt>Freshness</dt>
        <dd>
          {stream.freshness
            ? `stale after ${stream.freshness.maxSilenceMinutes} min without records` +
              (stream.freshness.maxLoadDelayMinutes
                ? `, or loads later than ${stream.freshness.maxLoadDelayMinutes} min`
                : '')
            : 'no freshness alert'}
        </dd>
        <dt>Buffering</dt>
        <dd>
          {stream.buffering
            ? `every ${stream.buffering.intervalSeconds} s or ${stream.buffering.sizeMiB} MiB`
            : 'default'}
        </dd>
      </dl>
    </section>
  );
}
