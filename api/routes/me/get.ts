import { z } from 'zod';
import { defineRoute } from '../../http/route.js';
import { authErrors } from '../params.js';
import { RoleSchema } from '../keys/schemas.js';

export const MeResponse = z.union([
  z.object({ kind: z.literal('platform') }),
  z.object({
    kind: z.literal('key'),
    tenant: z.string(),
    keyId: z.string(),
    name: z.string(),
    role: RoleSchema,
    streams: z.array(z.string()),
    pii: z.boolean(),
  }),
]);
export type MeResponse = z.infer<typeof MeResponse>;

export const meRoute = defineRoute({
  method: 'get',
  path: '/v1/me',
  operationId: 'whoAmI',
  summary: 'Who this key is: its tenant, role and scope',
  description:
    'Any valid key may call it: the platform admin key answers `{kind: "platform"}`, a tenant key its tenant, ' +
    'role, stream scope and PII right (never its secret). 401 for a missing, unknown or revoked key.',
  tags: ['keys'],
  access: { kind: 'any-key' },
  responses: { 200: { description: 'The caller', schema: MeResponse }, 401: authErrors[401] },
  handler: ({ c, ctx }) => {
    const p = ctx.principal!;
    if (p.kind === 'platform') return Promise.resolve(c.json({ kind: 'platform' as const }));
    const k = p.key;
    return Promise.resolve(
      c.json({
        kind: 'key' as const,
        tenant: k.tenant,
        keyId: k.id,
        name: k.name,
        role: k.role,
        streams: k.streams,
        pii: k.pii,
      }),
    );
  },
});
