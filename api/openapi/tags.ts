/** The document's tags, in display order. A route with a tag not listed here fails the build of the document. */
export const TAGS = [
  { name: 'operations', description: 'Liveness, readiness, Prometheus metrics and this API reference.' },
  {
    name: 'tenants',
    description:
      'Tenants, their first admin key and their own warehouse account; the platform admin key (a tenant’s admin may read its warehouse binding).',
  },
  {
    name: 'keys',
    description:
      'Scoped API keys (admin, producer, consumer; optionally PII), shown once and revocable; who a key is; and an OAuth2 token endpoint for clients that cannot send the key as a header.',
  },
  {
    name: 'streams',
    description:
      'Streams: a JSON Schema, dedupe and entity keys, PII fields and buffering hints; compatible schema evolution.',
  },
  {
    name: 'records',
    description:
      'Ingest (acknowledged after durable storage), batch receipts, layer previews and quarantined rejections.',
  },
  {
    name: 'monitoring',
    description: 'Per-stream metrics and health, freshness alerts and the alert webhook.',
  },
] as const;
