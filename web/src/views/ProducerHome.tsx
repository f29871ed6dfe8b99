import { useSession } from '../context.js';

/** Producers may only send records; show them where and how. */
export function ProducerHome() {
  const { me } = useSession();
  if (me.kind !== 'key') return null;
  const all = me.streams.includes('*');
  const example = all ? '{stream}' : (me.streams[0] ?? '{stream}');
  return (
    <section>
      <h1>Sending records</h1>
      <p>
        Your key (role producer) can send records but cannot read stream configuration, previews or metrics.
        Ask a tenant admin for a consumer key to monitor streams.
      </p>
      <h2>Streams you may send to</h2>
      <p>{all ? 'All streams of tenant ' + me.tenant + '.' : me.streams.join(', ') || 'none'}</p>
      <h2>Example</h2>
      <pre class="code">
        {`curl -X POST "${location.origin}/v1/tenants/${me.tenant}/streams/${example}/records" \\
  -H "Authorization: Bearer $TRIBUTARY_KEY" \\
  -H "Content-Type: application/json" \\
  -d '[{"id": "1"}]'`}
      </pre>
    </section>
  );
}
