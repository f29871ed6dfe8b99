import { z } from 'zod';

export const RoleSchema = z.enum(['admin', 'producer', 'consumer']);
export const KeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    streams: z.array(z.string()),
    pii: z.boolean(),
    createdAt: z.string(),
    revokedAt: z.string().optional(),
  })
  .meta({ id: 'ApiKey' });
