/** The benchmark's record shape: about 200 bytes of JSON each, declared by STREAM_SCHEMA. */
export const STREAM_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ts: { type: 'string', format: 'date-time' },
    user: { type: 'string' },
    action: { type: 'string', enum: ['page_view', 'click', 'purchase', 'signup'] },
    amount: { type: 'integer', minimum: 0 },
    payload: { type: 'string' },
  },
  required: ['id', 'ts', 'action'],
} as const;

const ACTIONS = STREAM_SCHEMA.properties.action.enum;

/** One record padded to `bytes` bytes of JSON. */
export function makeRecord(seq: number, prefix: string, bytes: number): Record<string, unknown> {
  const base = {
    id: `${prefix}-${String(seq).padStart(8, '0')}`,
    ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq % 86_400)).toISOString(),
    user: `user-${String(seq % 10_007).padStart(5, '0')}`,
    action: ACTIONS[seq % ACTIONS.length],
    amount: (seq * 7919) % 100_000,
    payload: '',
  };
  const pad = Math.max(0, bytes - JSON.stringify(base).length);
  base.payload = 'x'.repeat(pad);
  return base;
}

/** A JSON array body of `count` records of about `bytes` bytes each. */
export function makeBatch(count: number, bytes: number, prefix = 'evt', offset = 0): string {
  return JSON.stringify(Array.from({ length: count }, (_, i) => makeRecord(offset + i, prefix, bytes)));
}
